using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Basin.IO;

namespace Basin.Metrics;

/// <summary>What a measurement is of and how it was asked for: the header of a <see cref="MeasurementFolder"/>.</summary>
/// <param name="Model">The model spec (or checkpoint) measured.</param>
/// <param name="Data">The measured samples' data set name.</param>
/// <param name="Metrics">The metric ids, in order.</param>
/// <param name="Request">The request as given (settings before any budget scaling, samples, budget, data, model): a resume must match it exactly.</param>
/// <param name="Settings">The settings the metrics ran with (after scaling).</param>
/// <param name="Indices">The measured rows of the data set, in order.</param>
public sealed record MeasurementHeader(string Model, string Data, IReadOnlyList<string> Metrics, string Request, MeasureSettings Settings, long[] Indices);

/// <summary>
/// A measurement kept as it goes (<c>basin measure --out DIR</c>): <c>measure.json</c> (the header), <c>indices.txt</c>
/// (the measured rows, one per line), each metric's result in <c>metrics/ID.json</c> as soon as it finishes, and at
/// the end <c>results.json</c> and <c>results.csv</c> (id, value, standard error, in the metrics' order) — every file
/// written atomically. A killed run resumes from the folder: the finished metrics are read back, not recomputed, and
/// since every metric draws from its own seed stream (<see cref="SeedStream"/>) the results equal an uninterrupted run's.
/// </summary>
public sealed class MeasurementFolder
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly Dictionary<string, MetricResult> done;

    private MeasurementFolder(string path, MeasurementHeader header, Dictionary<string, MetricResult> done)
    {
        Path = path;
        Header = header;
        this.done = done;
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>The header.</summary>
    public MeasurementHeader Header { get; }

    /// <summary>The results finished so far, by id.</summary>
    public IReadOnlyDictionary<string, MetricResult> Done => done;

    /// <summary>Starts a new measurement in <paramref name="path"/>, which must not hold one.</summary>
    /// <exception cref="ArgumentException">The folder holds a measurement already, or other files.</exception>
    public static MeasurementFolder Create(string path, MeasurementHeader header)
    {
        CheckNew(path);
        Directory.CreateDirectory(System.IO.Path.Combine(path, "metrics"));
        AtomicFile.WriteAllText(System.IO.Path.Combine(path, "indices.txt"), Data.DataTransforms.IndicesText(header.Indices));
        AtomicFile.WriteAllText(System.IO.Path.Combine(path, "measure.json"), JsonSerializer.Serialize(header with { Indices = [] }, Json));
        return new MeasurementFolder(path, header, []);
    }

    /// <summary>Checks that a new measurement can start in <paramref name="path"/> (before the work it would hold is begun).</summary>
    /// <exception cref="ArgumentException">The folder holds a measurement already, or other files.</exception>
    public static void CheckNew(string path)
    {
        if (File.Exists(System.IO.Path.Combine(path, "measure.json"))) throw new ArgumentException($"{path} holds a measurement already: --resume continues it, or choose another --out");
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()) throw new ArgumentException($"{path} exists and is not empty: choose a new --out folder");
    }

    /// <summary>Opens the measurement in <paramref name="path"/> to continue it, checking that <paramref name="request"/> is the one it was started with.</summary>
    /// <exception cref="ArgumentException">No measurement there, a damaged one, or one asked for differently.</exception>
    public static MeasurementFolder Resume(string path, string model, string request)
    {
        string headerPath = System.IO.Path.Combine(path, "measure.json");
        if (!File.Exists(headerPath)) throw new ArgumentException($"{path} holds no measurement to resume (no measure.json)");
        MeasurementHeader header;
        try
        {
            header = JsonSerializer.Deserialize<MeasurementHeader>(File.ReadAllText(headerPath), Json) ?? throw new JsonException("empty");
            if (header.Model is null || header.Data is null || header.Metrics is null || header.Request is null || header.Settings is null) throw new JsonException("a field is missing");
            header.Settings.Validate();
            var indices = File.ReadAllLines(System.IO.Path.Combine(path, "indices.txt")).Select(l => long.Parse(l, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            header = header with { Indices = indices };
        }
        catch (Exception e) when (e is JsonException or IOException or FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"{path}: measure.json or indices.txt is damaged ({e.Message}); start again with a new --out", e);
        }
        if (header.Model != model || header.Request != request)
            throw new ArgumentException($"{path} was measured {(header.Model != model ? $"on {header.Model}" : "with other options")}: resume it with the command that started it");
        var done = new Dictionary<string, MetricResult>();
        foreach (var id in header.Metrics)
        {
            string file = System.IO.Path.Combine(path, "metrics", id + ".json");
            if (!File.Exists(file)) continue;
            try { done[id] = JsonSerializer.Deserialize<MetricResult>(File.ReadAllText(file), Json) ?? throw new JsonException("empty"); }
            catch (JsonException e) { throw new ArgumentException($"{file} is damaged ({e.Message}); delete it to measure that metric again", e); }
            if (done[id].Id != id) throw new ArgumentException($"{file} holds the result of {done[id].Id}; delete it to measure {id} again");
        }
        return new MeasurementFolder(path, header, done);
    }

    /// <summary>Keeps one finished result.</summary>
    public void Save(MetricResult result)
    {
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, "metrics", result.Id + ".json"), JsonSerializer.Serialize(result, Json));
        done[result.Id] = result;
    }

    /// <summary>Writes <c>results.json</c> and <c>results.csv</c> from every result, in the header's order.</summary>
    public void Finish()
    {
        var results = Header.Metrics.Select(id => done[id]).ToList();
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, "results.json"), JsonSerializer.Serialize(new { Header.Model, Header.Data, Samples = Header.Indices.Length, Metrics = results }, Json));
        var csv = new StringBuilder("metric,value,standard_error\n");
        foreach (var r in results) csv.Append(CultureInfo.InvariantCulture, $"{r.Id},{r.Value:R},{r.StandardError:R}\n");
        AtomicFile.WriteAllText(System.IO.Path.Combine(Path, "results.csv"), csv.ToString());
    }
}
