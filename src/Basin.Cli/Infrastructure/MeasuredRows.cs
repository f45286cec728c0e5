using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Basin.Cli.Infrastructure;

/// <summary>The rows a command measures, read from a <c>--indices</c> file (0-based row numbers, one per line) and named by a fingerprint.</summary>
internal static class MeasuredRows
{
    /// <summary>Reads and checks the rows in <paramref name="path"/> against a split of <paramref name="count"/> samples.</summary>
    /// <exception cref="UsageException">Missing file, a line that is not a row number, a row out of range, a repeated row, or none.</exception>
    public static long[] Read(string path, long count)
    {
        if (!File.Exists(path)) throw new UsageException($"--indices: {path} does not exist");
        var rows = new List<long>();
        var seen = new HashSet<long>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long row))
                throw new UsageException($"--indices: line {line} of {path} is not a row number: '{text.Trim()}'");
            if (row >= count) throw new UsageException($"--indices: row {row} (line {line}) is past the {count} training samples");
            if (!seen.Add(row)) throw new UsageException($"--indices: row {row} appears twice (line {line})");
            rows.Add(row);
        }
        if (rows.Count == 0) throw new UsageException($"--indices: {path} names no row");
        return rows.ToArray();
    }

    /// <summary>
    /// The rows to take from <paramref name="train"/>: those of <c>--indices</c>, or <paramref name="samples"/>
    /// drawn with <paramref name="seed"/> (all when 0 or not below the count).
    /// </summary>
    public static long[] Choose(Arguments args, Basin.Data.Dataset train, int samples, int seed)
    {
        if (args.Has("indices") && args.Has("samples")) throw new UsageException("give --samples or --indices, not both");
        return args.String("indices") is { } file ? Read(file, train.Count) : Basin.Data.DataTransforms.SampleIndices(train, samples, seed);
    }

    /// <summary>A short fingerprint of the rows in order (SHA-256 of their text, 16 hex digits).</summary>
    public static string Fingerprint(IEnumerable<long> rows) =>
        Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(",", rows)))).ToLowerInvariant()[..16];
}
