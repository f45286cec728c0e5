using Basin.IO;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// A data set as the user prepared it in PyTorch or NumPy, named <c>tensors:PATH</c>: a <c>.safetensors</c> or <c>.npz</c>
/// file, or a folder of <c>.npy</c> files, holding <c>train_x</c> (N × …, floating, the user's normalisation already
/// applied), <c>train_y</c> (N integer labels in 0…K−1) and the test split beside them, <c>test_x</c> and <c>test_y</c>.
/// K is one more than the largest label of either split. <c>tools/export_for_basin.py</c> writes this form from a
/// <c>DataLoader</c>.
/// </summary>
public static class TensorFiles
{
    /// <summary>The prefix of the data spec.</summary>
    public const string Prefix = "tensors:";

    /// <summary>The four arrays, in the order they are checked.</summary>
    public static readonly string[] Keys = ["train_x", "train_y", "test_x", "test_y"];

    /// <summary>Loads <c>tensors:PATH</c>.</summary>
    /// <exception cref="DataFormatException">The file is missing or unreadable, an array is missing, or shapes, types or labels do not fit.</exception>
    public static DataSplit Load(string spec)
    {
        string path = spec[Prefix.Length..];
        if (path.Length == 0) throw new DataFormatException(spec, "names no file: tensors:FILE.safetensors, tensors:FILE.npz or tensors:FOLDER (of train_x.npy, train_y.npy, test_x.npy, test_y.npy)");
        var arrays = Read(path);
        try
        {
            foreach (var key in Keys)
                if (!arrays.ContainsKey(key)) throw new DataFormatException(path, $"has no array '{key}' (it needs {string.Join(", ", Keys)}; found {(arrays.Count == 0 ? "none" : string.Join(", ", arrays.Keys.Order()))})");
            var (trainX, trainY) = (Features(path, "train", arrays["train_x"]), Labels(path, "train", arrays["train_y"]));
            var (testX, testY) = (Features(path, "test", arrays["test_x"]), Labels(path, "test", arrays["test_y"]));
            foreach (var (split, x, y) in new[] { ("train", trainX, trainY), ("test", testX, testY) })
            {
                if (x.shape[0] != y.shape[0]) throw new DataFormatException(path, $"{split}_x has {x.shape[0]} rows but {split}_y {y.shape[0]} labels");
                if (x.shape[0] == 0) throw new DataFormatException(path, $"the {split} split is empty");
            }
            if (!trainX.shape.Skip(1).SequenceEqual(testX.shape.Skip(1)))
                throw new DataFormatException(path, $"train_x samples are [{string.Join(", ", trainX.shape.Skip(1))}] but test_x samples [{string.Join(", ", testX.shape.Skip(1))}]");
            long min = Math.Min(trainY.min().item<long>(), testY.min().item<long>());
            long max = Math.Max(trainY.max().item<long>(), testY.max().item<long>());
            if (min < 0) throw new DataFormatException(path, $"labels must be class indices 0…K−1, found {min}");
            if (max >= 100_000) throw new DataFormatException(path, $"a label of {max} is not a class index Basin takes (at most 99 999 classes)");
            string name = Path.GetFileName(path.TrimEnd('/'));
            return new DataSplit(new Dataset($"{name}/train", trainX, trainY, (int)max + 1), new Dataset($"{name}/test", testX, testY, (int)max + 1));
        }
        finally
        {
            foreach (var t in arrays.Values) t.Dispose();
        }
    }

    private static Dictionary<string, Tensor> Read(string path)
    {
        if (Directory.Exists(path))
        {
            var arrays = new Dictionary<string, Tensor>();
            foreach (var key in Keys.Where(k => File.Exists(Path.Combine(path, k + ".npy"))))
                arrays[key] = NumpyFiles.ReadNpy(Path.Combine(path, key + ".npy"));
            return arrays;
        }
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file or folder");
        if (path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)) return NumpyFiles.ReadNpz(path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            try { return Safetensors.Load(path).Tensors; }
            catch (InvalidDataException e) { throw new DataFormatException(path, e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message); }
        }
        throw new DataFormatException(path, "is neither .safetensors, .npz nor a folder of .npy files");
    }

    /// <summary>The features as float32 (float64 kept), checked finite and at least 2-D.</summary>
    private static Tensor Features(string path, string split, Tensor x)
    {
        if (!x.is_floating_point()) throw new DataFormatException(path, $"{split}_x is {x.dtype}: inputs must be floating point, normalised as the model was trained (x.float())");
        if (x.dim() < 2) throw new DataFormatException(path, $"{split}_x has shape [{string.Join(", ", x.shape)}]: it needs a sample axis first and at least one feature axis");
        var result = x.dtype is ScalarType.Float32 or ScalarType.Float64 ? x.clone() : x.to(ScalarType.Float32);
        if (!result.isfinite().all().item<bool>()) { result.Dispose(); throw new DataFormatException(path, $"{split}_x holds NaN or infinite values"); }
        return result;
    }

    /// <summary>The labels as int64, checked whole numbers in a 1-D tensor.</summary>
    private static Tensor Labels(string path, string split, Tensor y)
    {
        if (y.dim() != 1) throw new DataFormatException(path, $"{split}_y has shape [{string.Join(", ", y.shape)}]: labels are one class index per sample (N), not one-hot");
        if (y.is_floating_point() || y.dtype == ScalarType.Bool) throw new DataFormatException(path, $"{split}_y is {y.dtype}: labels must be integers (y.long())");
        return y.dtype == ScalarType.Int64 ? y.clone() : y.to(ScalarType.Int64);
    }
}
