using System.Globalization;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// The options of one command: <c>--name value</c> and <c>--flag</c>, each declared with its help text.
/// Every problem (unknown option, missing or malformed value, repeated option) is a <see cref="UsageException"/>.
/// </summary>
public sealed class Arguments
{
    private readonly string command;
    private readonly Dictionary<string, (bool IsFlag, string Help)> declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> given = new(StringComparer.Ordinal);

    private readonly string? positional;

    /// <summary>Declares the options of <paramref name="command"/>, and optionally one positional argument read as option <paramref name="positional"/>.</summary>
    public Arguments(string command, IEnumerable<(string Name, bool IsFlag, string Help)> options, string? positional = null)
    {
        this.command = command;
        this.positional = positional;
        foreach (var (name, isFlag, help) in options) declared[name] = (isFlag, help);
    }

    /// <summary>The declared options with their help, for usage text.</summary>
    public IEnumerable<(string Name, bool IsFlag, string Help)> Declared => declared.Select(p => (p.Key, p.Value.IsFlag, p.Value.Help));

    /// <summary>Parses <paramref name="args"/> (after the command word).</summary>
    public Arguments Parse(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && positional is not null && !given.ContainsKey(positional))
            {
                given[positional] = arg;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new UsageException($"unexpected argument '{arg}' for '{command}': options start with -- (see basin {command} --help)");
            string name = arg[2..];
            string? inline = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0) (name, inline) = (name[..eq], name[(eq + 1)..]);
            if (!declared.TryGetValue(name, out var option))
                throw new UsageException($"unknown option --{name} for '{command}'; known: {string.Join(", ", declared.Keys.Select(k => "--" + k))}");
            if (given.ContainsKey(name)) throw new UsageException($"--{name} is given twice");
            if (option.IsFlag)
            {
                if (inline is not null) throw new UsageException($"--{name} is a flag and takes no value");
                given[name] = null;
                continue;
            }
            string? value = inline ?? (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null);
            if (string.IsNullOrEmpty(value)) throw new UsageException($"--{name} needs a value ({option.Help})");
            given[name] = value;
        }
        return this;
    }

    /// <summary>Whether the option was given.</summary>
    public bool Has(string name) => given.ContainsKey(name);

    /// <summary>The names of the options given.</summary>
    public IEnumerable<string> Given => given.Keys;

    /// <summary>A string option, or <paramref name="fallback"/>.</summary>
    public string String(string name, string fallback) => given.TryGetValue(name, out var v) && v is not null ? v : fallback;

    /// <summary>A string option or null.</summary>
    public string? String(string name) => given.TryGetValue(name, out var v) ? v : null;

    /// <summary>An integer option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!given.TryGetValue(name, out var v) || v is null) return fallback;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new UsageException($"--{name} expects a whole number, got '{v}'");
        if (value < min || value > max) throw new UsageException($"--{name} must be between {min} and {max}, got {value}");
        return value;
    }

    /// <summary>A finite number option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!given.TryGetValue(name, out var v) || v is null) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new UsageException($"--{name} expects a number, got '{v}'");
        if (value < min || value > max) throw new UsageException($"--{name} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got {v}");
        return value;
    }
}
