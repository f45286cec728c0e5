using Basin.IO;
using SkiaSharp;

namespace Basin.Studies.Plotting;

/// <summary>Writes one drawing as PNG and SVG, each atomically, with stable SVG bytes; and the font plots use.</summary>
internal static class PlotFile
{
    private const string DejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    /// <summary>Draws with <paramref name="draw"/> into <paramref name="basePath"/>.png and .svg.</summary>
    public static void Save(string basePath, int width, int height, Action<SKCanvas> draw)
    {
        AtomicFile.Write(basePath + ".png", stream =>
        {
            using var surface = SKSurface.Create(new SKImageInfo(width, height));
            draw(surface.Canvas);
            using var image = surface.Snapshot();
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            png.SaveTo(stream);
        });
        using var svg = new MemoryStream();
        using (var managed = new SKManagedWStream(svg))
        using (var canvas = SKSvgCanvas.Create(SKRect.Create(width, height), managed)) draw(canvas);
        AtomicFile.WriteAllText(basePath + ".svg", StableSvg(svg.ToArray()));
    }

    /// <summary>DejaVu Sans (Debian's fonts-dejavu-core, installed by set-up), else Skia's default.</summary>
    public static SKTypeface Typeface() => File.Exists(DejaVu) ? SKTypeface.FromFile(DejaVu) : SKTypeface.Default;

    /// <summary>
    /// The SVG text with Skia's clip-path ids renumbered per file: Skia numbers them with a process-wide
    /// hexadecimal counter, so the same plot drawn twice would otherwise differ in bytes.
    /// </summary>
    public static string StableSvg(byte[] svg)
    {
        var ids = new Dictionary<string, string>();
        return System.Text.RegularExpressions.Regex.Replace(System.Text.Encoding.UTF8.GetString(svg), @"\bcl_[0-9a-f]+\b",
            m => ids.TryGetValue(m.Value, out var id) ? id : ids[m.Value] = $"cl_{ids.Count + 1}");
    }
}
