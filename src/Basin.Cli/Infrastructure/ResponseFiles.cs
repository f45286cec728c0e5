using System.Text;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// Response files, expanded by Basin before parsing: an argument <c>@FILE</c> is replaced by the tokens of FILE — each
/// line split like a command line (whitespace separates, double quotes group), blank lines and lines starting with
/// <c>#</c> skipped — and FILE may name further response files. A file that includes itself, directly or through others,
/// is refused with the chain that closes the cycle, and so is nesting deeper than <see cref="MaxDepth"/>, a file larger
/// than <see cref="MaxBytes"/> or more than <see cref="MaxTokens"/> tokens in all: nothing a user writes reaches
/// unbounded recursion (System.CommandLine's own expansion overflowed the stack on <c>@self.rsp</c>).
/// </summary>
public static class ResponseFiles
{
    /// <summary>The deepest nesting of response files.</summary>
    public const int MaxDepth = 16;

    /// <summary>The largest response file read.</summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>The most tokens a command line may expand to.</summary>
    public const int MaxTokens = 100_000;

    /// <summary>The arguments with every <c>@FILE</c> replaced by its tokens, recursively.</summary>
    /// <exception cref="UsageException">A missing, unreadable, oversized or cyclic response file, in one line.</exception>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> args)
    {
        if (!args.Any(IsReference)) return args;
        var tokens = new List<string>();
        Expand(args, tokens, []);
        return tokens;
    }

    private static bool IsReference(string token) => token.Length > 1 && token[0] == '@';

    private static void Expand(IEnumerable<string> args, List<string> tokens, List<string> chain)
    {
        foreach (var token in args)
        {
            if (!IsReference(token))
            {
                if (tokens.Count >= MaxTokens) throw new UsageException($"the response files expand to more than {MaxTokens:N0} arguments");
                tokens.Add(token);
                continue;
            }
            string name = token[1..], path;
            try { path = Path.GetFullPath(name); }
            catch (Exception e) when (e is ArgumentException or PathTooLongException or NotSupportedException)
            {
                throw new UsageException($"response file {token}: not a valid path");
            }
            if (chain.Contains(path))
                throw new UsageException($"response file cycle: {string.Join(" → ", chain.Append(path).SkipWhile(p => p != path).Select(p => "@" + Path.GetFileName(p)))}: a response file may not include itself");
            if (chain.Count >= MaxDepth) throw new UsageException($"response files nest deeper than {MaxDepth} levels ({token})");
            chain.Add(path);
            Expand(Read(token, path), tokens, chain);
            chain.RemoveAt(chain.Count - 1);
        }
    }

    private static List<string> Read(string token, string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"response file {token}: is a folder");
        if (!File.Exists(path)) throw new UsageException($"response file {token}: not found");
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxBytes) throw new UsageException($"response file {token}: larger than {MaxBytes / 1024} KiB");
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"response file {token}: cannot be read ({e.Message})");
        }
        var words = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            words.AddRange(Split(line));
        }
        return words;
    }

    /// <summary>Splits one line like a command line: whitespace separates words, double quotes group (and are dropped).</summary>
    internal static IEnumerable<string> Split(string line)
    {
        var word = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any) yield return word.ToString();
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }
        if (any) yield return word.ToString();
    }
}
