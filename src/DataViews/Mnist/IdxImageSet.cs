namespace MlNetMnist.DataViews;

/// <summary>An IDX image file and its label file, checked against each other: the same count, labels below the class count.</summary>
public sealed class IdxImageSet
{
    IdxImageSet(IdxFile images, IdxFile labels, int classCount)
    {
        Images = images;
        Labels = labels;
        ClassCount = classCount;
    }

    public IdxFile Images { get; }

    public IdxFile Labels { get; }

    /// <summary>Labels are 0 .. ClassCount-1.</summary>
    public int ClassCount { get; }

    public int Count => Images.Count;

    /// <summary>Rows x columns of one image.</summary>
    public int PixelCount => Images.ItemSize;

    /// <summary>Reads both files and checks them against each other.</summary>
    /// <exception cref="InvalidDataException">Either file is bad, the counts differ, or a label is out of range; the message names the file.</exception>
    public static IdxImageSet Read(string imagesPath, string labelsPath, int classCount = 10)
    {
        var images = IdxFile.Read(imagesPath, expectedRank: 3);
        var labels = IdxFile.Read(labelsPath, expectedRank: 1);
        if (images.Count != labels.Count)
            throw new InvalidDataException(
                $"IDX files '{imagesPath}' and '{labelsPath}' do not match: {images.Count} images but {labels.Count} labels.");
        if (images.ItemSize == 0)
            throw IdxFile.Bad(imagesPath, "the images have no pixels");
        for (int i = 0; i < labels.Count; i++)
            if (labels.Data[i] >= classCount)
                throw IdxFile.Bad(labelsPath, $"label {labels.Data[i]} at item {i} is outside 0..{classCount - 1}");
        return new IdxImageSet(images, labels, classCount);
    }
}
