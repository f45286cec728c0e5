using System.Globalization;
using SkiaSharp;

namespace Basin.Studies.Plotting;

/// <summary>
/// A heat map of values on a regular 2-D grid with a colour bar (a viridis-like scale), saved as PNG and
/// SVG — for loss landscapes. Values may be shown on a log scale.
/// </summary>
public sealed class HeatmapPlot(string title, string xLabel, string yLabel, double[] x, double[] y, double[,] values, bool logScale = false)
{
    private const int Width = 720, Height = 600, Left = 80, Right = 110, Top = 40, Bottom = 60;
    private static readonly (double T, SKColor C)[] Scale =
    [
        (0.0, new SKColor(0x44, 0x01, 0x54)), (0.25, new SKColor(0x3b, 0x52, 0x8b)), (0.5, new SKColor(0x21, 0x91, 0x8c)),
        (0.75, new SKColor(0x5e, 0xc9, 0x62)), (1.0, new SKColor(0xfd, 0xe7, 0x25)),
    ];

    /// <summary>A point to mark (e.g. the trained weights).</summary>
    public (double X, double Y)? Marker { get; init; }

    /// <summary>Writes <paramref name="basePath"/>.png and .svg atomically.</summary>
    public void Save(string basePath)
    {
        if (values.GetLength(0) != x.Length || values.GetLength(1) != y.Length || x.Length < 2 || y.Length < 2)
            throw new ArgumentException("the heat map needs a value for every (x, y) of a grid of at least 2 × 2");
        PlotFile.Save(basePath, Width, Height, Draw);
    }

    private double Transform(double v) => logScale ? Math.Log10(Math.Max(v, 1e-300)) : v;

    private void Draw(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        var finite = values.Cast<double>().Where(double.IsFinite).Select(Transform).ToList();
        double lo = finite.Count > 0 ? finite.Min() : 0, hi = finite.Count > 0 ? finite.Max() : 1;
        if (hi <= lo) hi = lo + 1;
        float plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        float cellW = plotW / x.Length, cellH = plotH / y.Length;
        for (int i = 0; i < x.Length; i++)
        {
            for (int j = 0; j < y.Length; j++)
            {
                double v = values[i, j];
                using var paint = new SKPaint { Color = double.IsFinite(v) ? Colour((Transform(v) - lo) / (hi - lo)) : SKColors.LightGray, Style = SKPaintStyle.Fill };
                canvas.DrawRect(Left + i * cellW, Top + (y.Length - 1 - j) * cellH, cellW + 0.5f, cellH + 0.5f, paint);
            }
        }
        using var typeface = PlotFile.Typeface();
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true, TextSize = 13, Typeface = typeface };
        using var axis = new SKPaint { Color = SKColors.Black, IsStroke = true, StrokeWidth = 1 };
        canvas.DrawRect(Left, Top, plotW, plotH, axis);
        float Px(double v) => (float)(Left + (v - x[0]) / (x[^1] - x[0]) * (plotW - cellW) + cellW / 2);
        float Py(double v) => (float)(Top + plotH - ((v - y[0]) / (y[^1] - y[0]) * (plotH - cellH) + cellH / 2));
        foreach (var t in LinePlot.NiceTicks(x[0], x[^1]))
        {
            string label = t.ToString("G3", CultureInfo.InvariantCulture);
            canvas.DrawText(label, Px(t) - text.MeasureText(label) / 2, Height - Bottom + 18, text);
        }
        foreach (var t in LinePlot.NiceTicks(y[0], y[^1]))
        {
            string label = t.ToString("G3", CultureInfo.InvariantCulture);
            canvas.DrawText(label, Left - 8 - text.MeasureText(label), Py(t) + 4, text);
        }
        if (Marker is { } m)
        {
            using var mark = new SKPaint { Color = SKColors.Red, IsStroke = true, StrokeWidth = 2, IsAntialias = true };
            canvas.DrawCircle(Px(m.X), Py(m.Y), 6, mark);
        }
        canvas.DrawText(title, Left, Top - 14, text);
        canvas.DrawText(xLabel, Left + plotW / 2 - text.MeasureText(xLabel) / 2, Height - 18, text);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, Top + plotH / 2);
        canvas.DrawText(yLabel, 18 - text.MeasureText(yLabel) / 2, Top + plotH / 2, text);
        canvas.Restore();
        // Colour bar.
        float barX = Width - Right + 20;
        for (int k = 0; k < 100; k++)
        {
            using var paint = new SKPaint { Color = Colour(k / 99.0), Style = SKPaintStyle.Fill };
            canvas.DrawRect(barX, Top + plotH * (1 - (k + 1) / 100f), 18, plotH / 100f + 0.5f, paint);
        }
        canvas.DrawRect(barX, Top, 18, plotH, axis);
        foreach (var (frac, v) in new[] { (0.0, lo), (0.5, (lo + hi) / 2), (1.0, hi) })
        {
            string label = logScale ? $"1e{v:F1}" : v.ToString("G3", CultureInfo.InvariantCulture);
            canvas.DrawText(label, barX + 22, (float)(Top + plotH * (1 - frac)) + 4, text);
        }
    }

    private static SKColor Colour(double t)
    {
        t = Math.Clamp(t, 0, 1);
        for (int k = 1; k < Scale.Length; k++)
        {
            if (t > Scale[k].T) continue;
            var (t0, c0) = Scale[k - 1];
            var (t1, c1) = Scale[k];
            double f = (t - t0) / (t1 - t0);
            return new SKColor((byte)(c0.Red + f * (c1.Red - c0.Red)), (byte)(c0.Green + f * (c1.Green - c0.Green)), (byte)(c0.Blue + f * (c1.Blue - c0.Blue)));
        }
        return Scale[^1].C;
    }
}
