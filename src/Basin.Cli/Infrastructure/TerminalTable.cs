using Spectre.Console;

namespace Basin.Cli.Infrastructure;

/// <summary>
/// A table of results: drawn by Spectre.Console to fit the terminal's width (long cells wrap) when standard output is a
/// terminal, and as plain text in fixed-width columns when it is redirected, so that logs, pipes and tests read the
/// same bytes as before.
/// </summary>
public static class TerminalTable
{
    /// <summary>Writes <paramref name="rows"/> under <paramref name="headers"/>: to <paramref name="terminal"/> when given, else as text to <paramref name="plain"/>.</summary>
    /// <param name="terminal">The terminal (null when standard output is redirected).</param>
    /// <param name="plain">Where the plain form goes.</param>
    /// <param name="headers">Column titles.</param>
    /// <param name="rows">Cells, as many per row as headers.</param>
    /// <param name="rightAligned">Columns aligned right (numbers); the others left.</param>
    public static void Write(IAnsiConsole? terminal, TextWriter plain, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows, params int[] rightAligned)
    {
        if (rows.Any(r => r.Count != headers.Count)) throw new ArgumentException("every row needs one cell per header");
        if (terminal is not null)
        {
            var table = new Table().Border(TableBorder.Simple).Expand();
            for (int c = 0; c < headers.Count; c++)
                table.AddColumn(new TableColumn(Markup.Escape(headers[c])) { Alignment = rightAligned.Contains(c) ? Justify.Right : Justify.Left });
            foreach (var row in rows) table.AddRow(row.Select(cell => new Text(cell)).ToArray<Spectre.Console.Rendering.IRenderable>());
            terminal.Write(table);
            return;
        }
        var widths = Enumerable.Range(0, headers.Count).Select(c => rows.Select(r => r[c].Length).Append(headers[c].Length).Max()).ToArray();
        string Line(IReadOnlyList<string> cells) => string.Join(" ", cells.Select((cell, c) =>
            c == cells.Count - 1 && !rightAligned.Contains(c) ? cell : rightAligned.Contains(c) ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c])));
        plain.WriteLine(Line(headers));
        foreach (var row in rows) plain.WriteLine(Line(row));
    }
}
