using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// An epoch early stopping keeps: its number (from 1), its weights as trained (a regression's on the standardised target)
/// and the optimizer state after it. A checkpoint carries it (<see cref="IMlpModel.EarlyStoppingBest"/>) when the best epoch so far is not the one the
/// checkpoint holds, so that a resumed fit can still return it.
/// </summary>
public sealed record MlpBestEpoch(int Epoch, MlpNetwork Network, MlpOptimizerState State);
