using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// The options of one command: <c>--name value</c> and <c>--flag</c>, each declared with its help text, parsed by
/// System.CommandLine (help, response files <c>@file</c>, <c>--name=value</c>, completion) and read back through typed
/// accessors that check ranges. Every problem (unknown option, missing or malformed value, repeated option) is a
/// <see cref="UsageException"/> of one line.
/// </summary>
public sealed class Arguments
{
    private readonly string command;
    private readonly List<(string Name, bool IsFlag, string Help)> declared = [];
    private readonly Dictionary<string, string[]> completions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> given = new(StringComparer.Ordinal);
    private readonly string? positional;
    private readonly string positionalHelp;
    private readonly Dictionary<string, Option> symbols = new(StringComparer.Ordinal);
    private Argument<string>? positionalSymbol;

    /// <summary>
    /// Declares the options of <paramref name="command"/>, and optionally one positional argument read as option
    /// <paramref name="positional"/> (described by <paramref name="positionalHelp"/> in help).
    /// </summary>
    public Arguments(string command, IEnumerable<(string Name, bool IsFlag, string Help)> options, string? positional = null, string positionalHelp = "")
    {
        this.command = command;
        this.positional = positional;
        this.positionalHelp = positionalHelp;
        foreach (var option in options)
        {
            if (declared.Any(d => d.Name == option.Name)) throw new ArgumentException($"option --{option.Name} of '{command}' is declared twice");
            declared.Add(option);
        }
    }

    /// <summary>The declared options with their help, for usage text.</summary>
    public IEnumerable<(string Name, bool IsFlag, string Help)> Declared => declared;

    /// <summary>Offers <paramref name="values"/> as shell completions of option <paramref name="name"/> (or of the positional argument).</summary>
    public Arguments Complete(string name, IEnumerable<string> values)
    {
        if (name != positional && declared.All(d => d.Name != name)) throw new ArgumentException($"'{command}' declares no option --{name}");
        completions[name] = values.ToArray();
        return this;
    }

    /// <summary>
    /// The System.CommandLine command for these options, described by <paramref name="summary"/>: flags are
    /// <c>bool</c> options, the rest take exactly one value (typed and range-checked when the command reads it).
    /// </summary>
    public Command ToCommand(string summary)
    {
        var result = new Command(command, Papers.Cite(summary));
        foreach (var (name, isFlag, rawHelp) in declared)
        {
            string help = Papers.Cite(rawHelp);
            Option option = isFlag ? new Option<bool>("--" + name) { Description = help } : new Option<string>("--" + name) { Description = help, HelpName = Placeholders.For(name) };
            if (completions.TryGetValue(name, out var values)) option.CompletionSources.Add(values);
            symbols[name] = option;
            result.Options.Add(option);
        }
        if (positional is not null)
        {
            positionalSymbol = new Argument<string>(positional) { Description = positionalHelp is null ? null : Papers.Cite(positionalHelp), HelpName = positional, Arity = ArgumentArity.ZeroOrOne };
            if (completions.TryGetValue(positional, out var values)) positionalSymbol.CompletionSources.Add(values);
            result.Arguments.Add(positionalSymbol);
        }
        return result;
    }

    /// <summary>
    /// Takes the values of a parse of the command built by <see cref="ToCommand"/>; a parse error becomes one
    /// <see cref="UsageException"/> line in Basin's words.
    /// </summary>
    public Arguments Read(ParseResult result)
    {
        if (result.Errors.Count > 0) throw new UsageException(MissingValue(result) ?? Describe(result));
        foreach (var (name, option) in symbols)
        {
            if (result.GetResult(option) is not { Implicit: false } found) continue;
            if (option is Option<bool> flag)
            {
                if (result.GetValue(flag)) given[name] = null;
            }
            else given[name] = found.Tokens.Single().Value;
        }
        if (positionalSymbol is not null && result.GetValue(positionalSymbol) is { } value) given[positional!] = value;
        if (MissingValue(result) is { } missing) throw new UsageException(missing);
        return this;
    }

    /// <summary>
    /// "--epochs --lr 0.1" or "--out --json": the parser took the next option for a value (and then, maybe, stumbled on
    /// the option's own value); this names the option that lacks one.
    /// </summary>
    private string? MissingValue(ParseResult result)
    {
        foreach (var (name, option) in symbols)
            if (option is not Option<bool> && result.GetResult(option) is { Implicit: false } found && found.Tokens.Count == 1 && IsOptionName(found.Tokens[0].Value))
                return $"--{name} needs a value before {found.Tokens[0].Value} ({declared.First(d => d.Name == name).Help})";
        return null;
    }

    private bool IsOptionName(string token) =>
        token.StartsWith("--", StringComparison.Ordinal) && declared.Any(d => token == "--" + d.Name || token.StartsWith("--" + d.Name + "=", StringComparison.Ordinal));

    private string Describe(ParseResult result)
    {
        if (result.UnmatchedTokens.FirstOrDefault() is { } token)
            return token.StartsWith('-')
                ? $"unknown option {token} for '{command}'; known: {string.Join(", ", declared.Select(d => "--" + d.Name))}"
                : $"unexpected argument '{token}' for '{command}': options start with -- (see basin {command} --help)";
        foreach (var error in result.Errors)
        {
            if (error.SymbolResult is not OptionResult option) continue;
            string name = option.Option.Name.TrimStart('-');
            var help = declared.FirstOrDefault(d => d.Name == name).Help;
            if (option.Tokens.Count == 0) return $"--{name} needs a value ({help})";
            if (option.Tokens.Count > 1) return $"--{name} is given twice";
            if (option.Option is Option<bool>) return $"--{name} is a flag and takes no value";
        }
        return result.Errors[0].Message;
    }

    /// <summary>Whether the option was given.</summary>
    public bool Has(string name) => given.ContainsKey(name);

    /// <summary>The names of the options given.</summary>
    public IEnumerable<string> Given => given.Keys;

    /// <summary>A string option, or <paramref name="fallback"/>.</summary>
    public string String(string name, string fallback) => given.TryGetValue(name, out var v) && v is not null ? v : fallback;

    /// <summary>A string option or null.</summary>
    public string? String(string name) => given.TryGetValue(name, out var v) ? v : null;

    /// <summary>An integer option within [<paramref name="min"/>, <paramref name="max"/>]: what an <see cref="IntOption"/> reads (commands read their typed options, never this).</summary>
    internal int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!given.TryGetValue(name, out var v) || v is null) return fallback;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new UsageException($"--{name} expects a whole number, got '{v}'");
        if (value < min || value > max) throw new UsageException($"--{name} must be between {min} and {max}, got {value}");
        return value;
    }

    /// <summary>A finite number option within [<paramref name="min"/>, <paramref name="max"/>]: what a <see cref="NumberOption"/> reads.</summary>
    internal double Double(string name, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!given.TryGetValue(name, out var v) || v is null) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new UsageException($"--{name} expects a number, got '{v}'");
        if (value < min || value > max) throw new UsageException($"--{name} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}, got {v}");
        return value;
    }
}
