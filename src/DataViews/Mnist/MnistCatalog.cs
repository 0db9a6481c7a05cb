using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>Loading MNIST-format data: <c>ml.Data.LoadMnist(files)</c>.</summary>
public static class MnistCatalog
{
    /// <summary>Rows of the training file that go to Train; the rest go to Valid.</summary>
    public const int TrainRows = 50_000;

    /// <summary>The lesson's Train/Valid/Test split of MNIST (or of Fashion-MNIST, same layout).</summary>
    public static MnistSplits LoadMnist(this DataOperationsCatalog catalog, MnistFiles files)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(files);
        var training = IdxImageSet.Read(files.TrainImages, files.TrainLabels);
        if (training.Count <= TrainRows)
            throw new InvalidDataException($"IDX file '{files.TrainImages}' holds {training.Count} images; the split needs more than {TrainRows}.");
        var test = IdxImageSet.Read(files.TestImages, files.TestLabels);
        return new MnistSplits(
            new MnistDataView(training, 0, TrainRows),
            new MnistDataView(training, TrainRows, training.Count - TrainRows),
            new MnistDataView(test, 0, test.Count));
    }

    /// <summary>One IDX image/label pair as a single IDataView (Label key, Pixels vector).</summary>
    public static IDataView LoadIdx(this DataOperationsCatalog catalog, string imagesPath, string labelsPath, int classCount = 10)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var set = IdxImageSet.Read(imagesPath, labelsPath, classCount);
        return new MnistDataView(set, 0, set.Count);
    }
}
