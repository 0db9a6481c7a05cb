using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>The lesson's split of MNIST (as in mnist.pkl.gz): Train is the first 50,000 training images, Valid the last 10,000, Test the t10k file.</summary>
public sealed record MnistSplits(IDataView Train, IDataView Valid, IDataView Test);
