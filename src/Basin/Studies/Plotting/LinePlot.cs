using System.Globalization;
using SkiaSharp;

namespace Basin.Studies.Plotting;

/// <summary>One curve of a <see cref="LinePlot"/>.</summary>
/// <param name="Label">The legend text.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values.</param>
/// <param name="Points">Draw markers without lines (a scatter plot).</param>
/// <param name="YError">With markers: a ±1 standard-error bar on each point (NaN: none).</param>
/// <param name="PointLabels">With markers: a short label beside each point (e.g. its axis value).</param>
/// <param name="Dashed">Draw the line dashed (a companion of another curve, e.g. train beside test error).</param>
/// <param name="Colour">The palette entry to use (default: the series' position); an empty <paramref name="Label"/> leaves it out of the legend.</param>
public sealed record Series(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Points = false,
    IReadOnlyList<double>? YError = null, IReadOnlyList<string>? PointLabels = null, bool Dashed = false, int? Colour = null);

/// <summary>
/// A line plot with axes, ticks and a legend, drawn once and saved as PNG and SVG (SkiaSharp). The y
/// axis can be logarithmic (spectral densities, as in seed 002's figures); non-positive values are then
/// clipped to the smallest positive decade shown.
/// </summary>
public sealed class LinePlot(string title, string xLabel, string yLabel, bool logY = false)
{
    private const int Width = 800, Height = 500, Left = 80, Right = 20, Top = 40, Bottom = 60;
    private static readonly SKColor[] Palette = [new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0xff, 0x7f, 0x0e), new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b),
        new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f), new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf), new(0x00, 0x00, 0x00), new(0x99, 0x99, 0xff)];
    private readonly List<Series> series = [];

    /// <summary>The smallest y shown on a log axis, relative to the largest (default 1e-8).</summary>
    public double LogRange { get; init; } = 1e-8;

    /// <summary>Adds a curve.</summary>
    public LinePlot Add(Series s)
    {
        if (s.X.Count != s.Y.Count || s.X.Count < (s.Points ? 1 : 2)) throw new ArgumentException($"series '{s.Label}' needs as many x as y values (at least 2 for a line)");
        series.Add(s);
        return this;
    }

    /// <summary>Writes <paramref name="basePath"/>.png and <paramref name="basePath"/>.svg, each atomically.</summary>
    public void Save(string basePath)
    {
        if (series.Count == 0) throw new InvalidOperationException("nothing to plot");
        PlotFile.Save(basePath, Width, Height, Draw);
    }

    private void Draw(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        var all = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second)).ToList();
        // Error bars belong inside the frame too.
        foreach (var s in series.Where(s => s.YError is not null))
            for (int j = 0; j < s.X.Count; j++)
                if (double.IsFinite(s.X[j]) && double.IsFinite(s.Y[j]) && double.IsFinite(s.YError![j]))
                    all.AddRange([(s.X[j], s.Y[j] - s.YError[j]), (s.X[j], s.Y[j] + s.YError[j])]);
        if (all.Count == 0) all.Add((0, 0));
        double x0 = all.Min(p => p.First), x1 = all.Max(p => p.First);
        double yMax = all.Max(p => p.Second);
        double y0, y1;
        if (logY)
        {
            double top = yMax > 0 ? Math.Ceiling(Math.Log10(yMax)) : 0;
            y1 = top;
            y0 = top + Math.Floor(Math.Log10(LogRange));
        }
        else
        {
            y0 = series.Any(s => s.Points) ? all.Min(p => p.Second) : Math.Min(0, all.Min(p => p.Second));
            y1 = yMax > y0 ? yMax : y0 + 1;
        }
        if (x1 <= x0) { x0 -= 0.5; x1 = x0 + 1; }
        if (series.Any(s => s.Points))
        {
            double padX = (x1 - x0) * 0.05;
            (x0, x1) = (x0 - padX, x1 + padX);
            if (!logY) { double padY = (y1 - y0) * 0.05; (y0, y1) = (y0 - padY, y1 + padY); }
        }
        float Px(double x) => (float)(Left + (x - x0) / (x1 - x0) * (Width - Left - Right));
        float Py(double y)
        {
            double v = logY ? Math.Log10(Math.Max(y, Math.Pow(10, y0))) : y;
            return (float)(Height - Bottom - (v - y0) / (y1 - y0) * (Height - Top - Bottom));
        }

        using var typeface = PlotFile.Typeface();
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 13, Typeface = typeface };
        using var axis = new SKPaint { Color = SKColors.Black, StrokeWidth = 1, IsStroke = true, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(0xdd, 0xdd, 0xdd), StrokeWidth = 1, IsStroke = true };
        canvas.DrawRect(Left, Top, Width - Left - Right, Height - Top - Bottom, axis);
        foreach (var t in NiceTicks(x0, x1))
        {
            canvas.DrawLine(Px(t), Top, Px(t), Height - Bottom, grid);
            string label = t.ToString("G4", CultureInfo.InvariantCulture);
            canvas.DrawText(label, Px(t) - text.MeasureText(label) / 2, Height - Bottom + 18, text);
        }
        var yTicks = logY ? Enumerable.Range(0, (int)(y1 - y0) + 1).Select(i => y0 + i).Where(d => (int)(d - y0) % Math.Max(1, (int)((y1 - y0) / 8)) == 0).ToList() : NiceTicks(y0, y1);
        foreach (var t in yTicks)
        {
            float py = logY ? (float)(Height - Bottom - (t - y0) / (y1 - y0) * (Height - Top - Bottom)) : Py(t);
            canvas.DrawLine(Left, py, Width - Right, py, grid);
            string label = logY ? $"1e{t:0}" : t.ToString("G4", CultureInfo.InvariantCulture);
            canvas.DrawText(label, Left - 8 - text.MeasureText(label), py + 4, text);
        }
        canvas.DrawText(title, Left, Top - 14, text);
        canvas.DrawText(xLabel, Left + (Width - Left - Right) / 2f - text.MeasureText(xLabel) / 2, Height - 18, text);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, Top + (Height - Top - Bottom) / 2f);
        canvas.DrawText(yLabel, 18 - text.MeasureText(yLabel) / 2, Top + (Height - Top - Bottom) / 2f, text);
        canvas.Restore();

        // The legend sits in the top right corner, as wide as its longest label.
        float legend = Width - Right - 8 - 26 - series.Where(s => s.Label.Length > 0).Select(s => text.MeasureText(s.Label)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            using var dash = s.Dashed ? SKPathEffect.CreateDash([6f, 4f], 0) : null;
            using var paint = new SKPaint { Color = Palette[(s.Colour ?? i) % Palette.Length], StrokeWidth = 1.6f, IsStroke = true, IsAntialias = true, PathEffect = dash };
            using var path = new SKPath();
            bool started = false;
            for (int j = 0; j < s.X.Count; j++)
            {
                if (!double.IsFinite(s.X[j]) || !double.IsFinite(s.Y[j])) { started = false; continue; }
                var (px, py) = (Px(s.X[j]), Py(s.Y[j]));
                if (started) path.LineTo(px, py);
                else path.MoveTo(px, py);
                started = true;
            }
            canvas.Save();
            canvas.ClipRect(SKRect.Create(Left, Top, Width - Left - Right, Height - Top - Bottom));
            if (s.Points)
            {
                using var dot = new SKPaint { Color = paint.Color, IsAntialias = true, Style = SKPaintStyle.Fill };
                using var small = new SKPaint { Color = new SKColor(0x44, 0x44, 0x44), IsAntialias = true, TextSize = 11, Typeface = typeface };
                for (int j = 0; j < s.X.Count; j++)
                {
                    if (!double.IsFinite(s.X[j]) || !double.IsFinite(s.Y[j])) continue;
                    if (s.YError is { } e && double.IsFinite(e[j]) && e[j] > 0)
                    {
                        float bx = Px(s.X[j]), lo = Py(s.Y[j] - e[j]), hi = Py(s.Y[j] + e[j]);
                        canvas.DrawLine(bx, lo, bx, hi, paint);
                        canvas.DrawLine(bx - 4, lo, bx + 4, lo, paint);
                        canvas.DrawLine(bx - 4, hi, bx + 4, hi, paint);
                    }
                    canvas.DrawCircle(Px(s.X[j]), Py(s.Y[j]), 4.5f, dot);
                    if (s.PointLabels is { } labels && j < labels.Count) canvas.DrawText(labels[j], Px(s.X[j]) + 7, Py(s.Y[j]) - 6, small);
                }
            }
            else canvas.DrawPath(path, paint);
            canvas.Restore();
            if ((series.Count == 1 && s.Points) || s.Label.Length == 0) continue; // a lone scatter is named by the title; a legend would only cover points
            using var swatch = new SKPaint { Color = paint.Color, StrokeWidth = 3 };
            float ly = Top + 16 + 18 * series.Take(i).Count(p => p.Label.Length > 0);
            canvas.DrawLine(legend, ly - 4, legend + 20, ly - 4, swatch);
            canvas.DrawText(s.Label, legend + 26, ly, text);
        }
    }

    /// <summary>About six round tick values covering [lo, hi].</summary>
    public static List<double> NiceTicks(double lo, double hi)
    {
        double span = hi - lo;
        if (!(span > 0)) return [lo];
        double raw = span / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }
}
