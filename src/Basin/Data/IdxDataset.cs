using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Loads an MNIST-format folder (MNIST, Fashion-MNIST, KMNIST …): <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw
/// or with <c>.gz</c>. Pixels are scaled to [0, 1]; images come as <c>[N, 1, H, W]</c>.
/// </summary>
public static class IdxDataset
{
    /// <summary>Whether <paramref name="folder"/> looks like an MNIST-format folder.</summary>
    public static bool IsIdxFolder(string folder) => FindFile(folder, "train-images-idx3-ubyte") is not null;

    /// <summary>Loads the train and test splits of an MNIST-format folder.</summary>
    /// <exception cref="DataFormatException">A file is missing, corrupt, or the files disagree.</exception>
    public static DataSplit Load(string folder, string name)
    {
        var train = LoadPair(folder, "train", name + "/train");
        try
        {
            var test = LoadPair(folder, "t10k", name + "/test");
            if (!test.SampleShape.SequenceEqual(train.SampleShape))
            {
                // The message reads the shapes before the test set is disposed (after, its tensor is gone).
                string message = $"train images are {Dataset.Shape(train.SampleShape)} but test images are {Dataset.Shape(test.SampleShape)}";
                test.Dispose();
                throw new DataFormatException(folder, message);
            }
            return new DataSplit(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>Loads one images/labels pair, e.g. prefix <c>train</c> or <c>t10k</c>.</summary>
    public static Dataset LoadPair(string folder, string prefix, string name)
    {
        string imagesPath = FindFile(folder, $"{prefix}-images-idx3-ubyte") ?? throw new DataFormatException(Path.Combine(folder, $"{prefix}-images-idx3-ubyte[.gz]"), "file not found");
        string labelsPath = FindFile(folder, $"{prefix}-labels-idx1-ubyte") ?? throw new DataFormatException(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte[.gz]"), "file not found");
        return FromFiles(imagesPath, labelsPath, name);
    }

    /// <summary>Builds a data set from an image file and a label file.</summary>
    public static Dataset FromFiles(string imagesPath, string labelsPath, string name)
    {
        var images = IdxReader.Read(imagesPath);
        var labels = IdxReader.Read(labelsPath);
        if (images.Dimensions.Length != 3)
            throw new DataFormatException(imagesPath, $"image file has {images.Dimensions.Length} dimensions, expected 3 (count, rows, columns)");
        if (labels.Dimensions.Length != 1)
            throw new DataFormatException(labelsPath, $"label file has {labels.Dimensions.Length} dimensions, expected 1");
        if (images.Count != labels.Count)
            throw new DataFormatException(labelsPath, $"{labels.Count} labels for {images.Count} images in {Path.GetFileName(imagesPath)}");
        if (images.Count == 0)
            throw new DataFormatException(imagesPath, "no images (empty data set)");
        int max = labels.Data.Max();
        int classes = Math.Max(10, max + 1);
        if (classes > 255) throw new DataFormatException(labelsPath, $"label {max} is out of range");
        int h = images.Dimensions[1], w = images.Dimensions[2];
        var pixels = new float[images.Data.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = images.Data[i] / 255f;
        var x = tensor(pixels, new long[] { images.Count, 1, h, w });
        var y = tensor(labels.Data.Select(b => (long)b).ToArray(), ScalarType.Int64);
        return new Dataset(name, x, y, classes);
    }

    private static string? FindFile(string folder, string stem)
    {
        foreach (var candidate in new[] { stem, stem + ".gz", stem.Replace("-idx", ".idx", StringComparison.Ordinal), stem.Replace("-idx", ".idx", StringComparison.Ordinal) + ".gz" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}
