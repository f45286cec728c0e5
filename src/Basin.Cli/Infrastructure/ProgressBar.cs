namespace Basin.Cli.Infrastructure;

/// <summary>
/// A one-line progress bar on standard error with the time remaining. Redrawn in place on a terminal,
/// at most ten times a second; silent when standard error is redirected (logs then get one line per
/// finished unit of work from the caller instead).
/// </summary>
public sealed class ProgressBar(TextWriter output, bool interactive)
{
    private const int Width = 28;
    private DateTime lastDraw = DateTime.MinValue;
    private DateTime started = DateTime.UtcNow;
    private int lastLength;
    private int lastSubLength;

    /// <summary>A bar on the process's standard error, interactive when it is a terminal.</summary>
    public static ProgressBar ForConsole() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Restarts the clock used for the time remaining.</summary>
    public void Restart() => started = DateTime.UtcNow;

    /// <summary>Draws <paramref name="fraction"/> done with a label and a suffix.</summary>
    public void Draw(double fraction, string label, string suffix)
    {
        if (!interactive) return;
        var now = DateTime.UtcNow;
        if (fraction < 1 && (now - lastDraw).TotalMilliseconds < 100) return;
        lastDraw = now;
        fraction = Math.Clamp(fraction, 0, 1);
        int filled = (int)Math.Round(fraction * Width);
        double elapsed = (now - started).TotalSeconds;
        string eta = fraction > 0.01 ? $" {Format(elapsed * (1 - fraction) / fraction)} left" : "";
        string line = $"{label} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0}{eta} {suffix}";
        output.Write("\r" + line.PadRight(lastLength));
        lastLength = line.Length;
    }

    /// <summary>
    /// Draws two bars: the whole job (with the time remaining) and, on the line below, the current part
    /// of it (e.g. the study and the model or metric under way).
    /// </summary>
    public void Draw(double fraction, string label, string suffix, double subFraction, string subLabel)
    {
        if (!interactive) return;
        var now = DateTime.UtcNow;
        if (fraction < 1 && (now - lastDraw).TotalMilliseconds < 100) return;
        lastDraw = DateTime.MinValue;
        Draw(fraction, label, suffix);
        int filled = (int)Math.Round(Math.Clamp(subFraction, 0, 1) * Width);
        string sub = $"{new string(' ', 2)}[{new string('#', filled)}{new string('.', Width - filled)}] {subLabel}";
        output.Write("\n\r" + sub.PadRight(lastSubLength) + "\u001b[1A\r");
        lastSubLength = sub.Length;
        lastDraw = now;
    }

    /// <summary>Erases the bar (and the second bar) so the next line starts clean.</summary>
    public void Clear()
    {
        if (!interactive || lastLength == 0) return;
        if (lastSubLength > 0)
        {
            output.Write("\n\r" + new string(' ', lastSubLength) + "\u001b[1A");
            lastSubLength = 0;
        }
        output.Write("\r" + new string(' ', lastLength) + "\r");
        lastLength = 0;
    }

    /// <summary>A duration for people: 45s, 2m04s, 1.5h.</summary>
    internal static string Format(double seconds) =>
        seconds >= 3600 ? $"{seconds / 3600:F1}h" : seconds >= 60 ? $"{(int)seconds / 60}m{(int)seconds % 60:D2}s" : $"{seconds:F0}s";
}
