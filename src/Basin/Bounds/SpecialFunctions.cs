namespace Basin.Bounds;

/// <summary>Special functions the bounds need, in float64.</summary>
public static class SpecialFunctions
{
    /// <summary>
    /// The inverse error function for |x| ≤ 0.9 by its Maclaurin series
    /// <c>erf⁻¹(x) = Σ_k c_k / (2k+1) · (√π x / 2)^{2k+1}</c>, c₀ = 1, c_k = Σ_m c_m c_{k−1−m} / ((m+1)(2m+1)),
    /// summed until the terms fall below 1e-17 relative.
    /// </summary>
    public static double InverseErf(double x)
    {
        if (!(Math.Abs(x) <= 0.9)) throw new ArgumentOutOfRangeException(nameof(x), $"erf⁻¹ is implemented for |x| ≤ 0.9, got {x}");
        if (x == 0) return 0;
        var c = new List<double> { 1 };
        double z = Math.Sqrt(Math.PI) * x / 2, z2 = z * z, power = z, sum = z;
        for (int k = 1; k < 2000; k++)
        {
            double ck = 0;
            for (int m = 0; m < k; m++) ck += c[m] * c[k - 1 - m] / ((m + 1.0) * (2 * m + 1.0));
            c.Add(ck);
            power *= z2;
            double term = ck / (2 * k + 1) * power;
            sum += term;
            if (Math.Abs(term) < 1e-17 * Math.Abs(sum)) break;
        }
        return sum;
    }
}
