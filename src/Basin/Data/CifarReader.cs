using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Reads the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky 2009). CIFAR-10: records of one label
/// byte and 3072 pixel bytes (1024 red, 1024 green, 1024 blue, row-major 32×32) in
/// <c>data_batch_1.bin … data_batch_5.bin</c> and <c>test_batch.bin</c>. CIFAR-100: a coarse and a fine
/// label byte before the pixels, in <c>train.bin</c> and <c>test.bin</c>; the fine labels (100 classes)
/// are used. Pixels are scaled to [0, 1]; images come as <c>[N, 3, 32, 32]</c>.
/// </summary>
public static class CifarReader
{
    private const int Pixels = 3 * 32 * 32;

    /// <summary>Whether <paramref name="folder"/> holds CIFAR-10 binaries.</summary>
    public static bool IsCifar10Folder(string folder) => File.Exists(Path.Combine(folder, "data_batch_1.bin"));

    /// <summary>Whether <paramref name="folder"/> holds CIFAR-100 binaries.</summary>
    public static bool IsCifar100Folder(string folder) => File.Exists(Path.Combine(folder, "train.bin")) && File.Exists(Path.Combine(folder, "test.bin"));

    /// <summary>Loads CIFAR-10 from its binary folder (the training batches present, at least the first).</summary>
    public static DataSplit LoadCifar10(string folder)
    {
        var trainFiles = Enumerable.Range(1, 5).Select(i => Path.Combine(folder, $"data_batch_{i}.bin")).Where(File.Exists).ToArray();
        if (trainFiles.Length == 0) throw new DataFormatException(Path.Combine(folder, "data_batch_1.bin"), "file not found");
        var train = Read("cifar10/train", trainFiles, labelBytes: 1, classes: 10);
        try
        {
            return new DataSplit(train, Read("cifar10/test", [Path.Combine(folder, "test_batch.bin")], 1, 10));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>Loads CIFAR-100 (fine labels) from its binary folder.</summary>
    public static DataSplit LoadCifar100(string folder)
    {
        var train = Read("cifar100/train", [Path.Combine(folder, "train.bin")], labelBytes: 2, classes: 100);
        try
        {
            return new DataSplit(train, Read("cifar100/test", [Path.Combine(folder, "test.bin")], 2, 100));
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>Reads records from <paramref name="files"/>; the label used is the last label byte.</summary>
    /// <exception cref="DataFormatException">A file is missing, empty, truncated, or has a label out of range.</exception>
    public static Dataset Read(string name, IReadOnlyList<string> files, int labelBytes, int classes)
    {
        int record = labelBytes + Pixels;
        var pixels = new List<float[]>();
        var labels = new List<long>();
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new DataFormatException(file, "file not found");
            byte[] bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0) throw new DataFormatException(file, "empty file");
            if (bytes.Length % record != 0)
                throw new DataFormatException(file, $"truncated or not CIFAR-{classes}: {bytes.Length} bytes is not a whole number of {record}-byte records");
            for (int r = 0; r < bytes.Length / record; r++)
            {
                int offset = r * record;
                int label = bytes[offset + labelBytes - 1];
                if (label >= classes)
                    throw new DataFormatException(file, $"record {r} has label {label}, outside 0..{classes - 1} (is this CIFAR-{(classes == 10 ? 100 : 10)}?)");
                labels.Add(label);
                var image = new float[Pixels];
                for (int i = 0; i < Pixels; i++) image[i] = bytes[offset + labelBytes + i] / 255f;
                pixels.Add(image);
            }
        }
        var flat = new float[pixels.Count * Pixels];
        for (int i = 0; i < pixels.Count; i++) pixels[i].CopyTo(flat, i * Pixels);
        return new Dataset(name, tensor(flat, new long[] { pixels.Count, 3, 32, 32 }), tensor(labels.ToArray(), ScalarType.Int64), classes);
    }
}
