using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Data;

/// <summary>
/// Image augmentation for batches <c>[B, C, H, W]</c>: random crop after zero padding by
/// <see cref="CropPadding"/> pixels, and random horizontal flip — the "crop-p + flip" schemes of seed
/// 001 §7.1. Draws come from the generator passed in, so training stays reproducible.
/// </summary>
/// <param name="CropPadding">Padding in pixels before the random crop (0 = no crop).</param>
/// <param name="Flip">Whether to flip each image horizontally with probability ½.</param>
public sealed record Augmentation(int CropPadding, bool Flip)
{
    /// <summary>No augmentation.</summary>
    public static Augmentation None { get; } = new(0, false);

    /// <summary>Whether this augmentation changes anything.</summary>
    public bool IsIdentity => CropPadding == 0 && !Flip;

    /// <summary>Parses <c>none</c>, <c>flip</c>, <c>crop4</c>, <c>crop4+flip</c> (any padding).</summary>
    public static Augmentation Parse(string text)
    {
        int pad = 0;
        bool flip = false;
        foreach (var part in text.Split('+', StringSplitOptions.TrimEntries))
        {
            if (part == "none") continue;
            if (part == "flip") flip = true;
            else if (part.StartsWith("crop", StringComparison.Ordinal) && int.TryParse(part[4..], out pad) && pad is >= 0 and <= 16) { }
            else throw new FormatException($"unknown augmentation '{part}' in '{text}': use none, flip, cropP or cropP+flip (P = padding 0..16)");
        }
        return new Augmentation(pad, flip);
    }

    /// <inheritdoc />
    public override string ToString() => IsIdentity ? "none" : string.Join("+", new[] { CropPadding > 0 ? $"crop{CropPadding}" : null, Flip ? "flip" : null }.Where(s => s is not null));

    /// <summary>An augmented copy of <paramref name="batch"/>; the input is not changed.</summary>
    public Tensor Apply(Tensor batch, Random rng)
    {
        if (batch.dim() != 4) throw new ArgumentException($"augmentation needs image batches [B, C, H, W], got {batch.dim()} dimensions");
        using var scope = NewDisposeScope();
        var x = batch;
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        if (CropPadding > 0)
        {
            var padded = nn.functional.pad(x, [CropPadding, CropPadding, CropPadding, CropPadding]);
            var crops = new Tensor[b];
            for (long i = 0; i < b; i++)
            {
                int dy = rng.Next(2 * CropPadding + 1), dx = rng.Next(2 * CropPadding + 1);
                crops[i] = padded[i].narrow(1, dy, h).narrow(2, dx, w);
            }
            x = stack(crops);
        }
        if (Flip)
        {
            var mask = new bool[b];
            for (long i = 0; i < b; i++) mask[i] = rng.Next(2) == 1;
            var m = tensor(mask).reshape(b, 1, 1, 1);
            x = where(m, x.flip(3), x);
        }
        return (ReferenceEquals(x, batch) ? x.clone() : x).MoveToOuterDisposeScope();
    }
}
