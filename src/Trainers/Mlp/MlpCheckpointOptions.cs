using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.Trainers;

/// <summary>
/// Saves a model zip during training (<see cref="MlpOptions.Checkpoint"/>), as Keras' ModelCheckpoint and
/// BackupAndRestore do: after every <see cref="EveryEpochs"/>-th epoch, the model with its optimizer state and history,
/// which <c>Fit(data, model)</c> continues to exactly the weights an uninterrupted fit ends with. Each file is written
/// atomically (a temporary file in the same folder, flushed to disk, then renamed over the old one), so a process
/// killed at any instant leaves the previous checkpoint or the new one, never half a file.
/// </summary>
/// <remarks>
/// The trainer sees only its own input (the feature and label columns), so by itself it saves its own transformer,
/// with the training data's schema: <c>ml.Model.Load</c> gives a transformer that scores feature vectors, and its
/// <c>Model</c> resumes. An app whose model zip is a longer pipeline (transforms before the trainer, key mapping
/// after it) gives <see cref="Pipeline"/> and <see cref="InputSchema"/>, so that each checkpoint is that whole pipeline
/// and loads wherever the final model does.
/// </remarks>
public sealed class MlpCheckpointOptions
{
    /// <summary>The checkpoint zip, replaced at each checkpoint; its folder must exist.</summary>
    public string Path { get; set; } = "";

    /// <summary>Checkpoint after epochs whose number (from 1, counted over resumed fits too) is a multiple of this.</summary>
    public int EveryEpochs { get; set; } = 1;

    /// <summary>
    /// Wraps the trainer's transformer (a MulticlassPredictionTransformer, RegressionPredictionTransformer or
    /// BinaryPredictionTransformer, as the trainer's Fit returns) into the pipeline to save (for example the transforms
    /// fitted before it and a MapKeyToValue after it); null saves the transformer alone.
    /// </summary>
    public Func<ITransformer, ITransformer>? Pipeline { get; set; }

    /// <summary>The schema the saved pipeline reads (its first step's input); null: the training data's schema.</summary>
    public DataViewSchema? InputSchema { get; set; }

    /// <summary>
    /// Writes the pipeline of a checkpoint to the stream of its (temporary) file, for an app whose model zips are saved
    /// another way, for example with their data loader (<c>ml.Model.Save(model, loader, stream)</c>) or an entry of
    /// its own; null: <c>ml.Model.Save(pipeline, InputSchema, stream)</c>.
    /// </summary>
    public Action<ITransformer, Stream>? Save { get; set; }

    /// <summary>
    /// With early stopping, where the model the fit would return if it stopped now (the best epoch's weights, the
    /// history so far) is saved, whenever the best epoch changes: <see cref="Path"/> with ".best" before its extension
    /// (checkpoint.zip: checkpoint.best.zip).
    /// </summary>
    public string BestPath => System.IO.Path.ChangeExtension(Path, ".best" + System.IO.Path.GetExtension(Path));

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException($"Checkpoint.Path must name a file, got '{Path}'.", nameof(Path));
        string full = System.IO.Path.GetFullPath(Path);
        if (Directory.Exists(full))
            throw new ArgumentException($"Checkpoint.Path '{full}' is a folder; give a file name.", nameof(Path));
        if (!Directory.Exists(System.IO.Path.GetDirectoryName(full)))
            throw new ArgumentException($"Checkpoint.Path '{full}': folder '{System.IO.Path.GetDirectoryName(full)}' does not exist.", nameof(Path));
        if (EveryEpochs < 1)
            throw new ArgumentOutOfRangeException(nameof(EveryEpochs), EveryEpochs, $"Checkpoint.EveryEpochs must be at least 1, got {EveryEpochs}.");
    }
}
