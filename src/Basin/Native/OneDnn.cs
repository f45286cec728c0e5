using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Native;

/// <summary>
/// Checks that libtorch's oneDNN convolutions give right input gradients on this CPU, and routes convolutions to
/// libtorch's own kernels where they do not.
/// </summary>
/// <remarks>
/// On the 2-core AMD EPYC VM (AVX-512) of 2026-12-01, the oneDNN 3.7.1 inside the bundled libtorch 2.10 returned float32
/// input gradients of <c>conv2d</c> (convolution backward-data, and <c>conv_transpose2d</c>) 13–80% wrong against float64 and
/// central differences, changing with the thread count and from run to run, also with its ISA capped at AVX2; forward
/// passes and weight gradients were right (<c>Basin.Benchmarks --conv-grid</c>, <c>--conv-truth</c>). Every gradient of a CNN
/// below its top convolution was wrong, and with it training, Hessian products and input Jacobians; the float64 tests
/// could not see it, as oneDNN computes float32 only. The check (one small backward-data in float32 against float64, about
/// a millisecond) runs once when libtorch is loaded; where it fails, <c>at::Context::setUserEnabledMkldnn(false)</c> (a C++
/// export of libtorch_cpu that TorchSharp does not wrap) turns oneDNN off, and the check runs again.
/// <c>BASIN_ONEDNN=on</c> or <c>off</c> sets it without the check.
/// </remarks>
internal static class OneDnn
{
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private const string SetEnabled = "_ZN2at7Context20setUserEnabledMkldnnEb";
    private const string GetEnabled = "_ZNK2at7Context17userEnabledMkldnnEv";

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ContextGetter();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void FlagSetter(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool FlagGetter(IntPtr context);

    /// <summary>
    /// The largest relative error of float32 convolution input gradients against float64 on this machine, over three shapes
    /// (LeNet-5's first layer, a 6-channel 5×5 and a 16-channel 3×3 layer).
    /// </summary>
    public static double InputGradientError() => Math.Max(InputGradientError(2, 1, 28, 5, 2), Math.Max(InputGradientError(4, 6, 12, 5, 1), InputGradientError(4, 16, 8, 3, 1)));

    private static double InputGradientError(long batch, long channels, long size, long kernel, long padding)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var x = randn([batch, channels, size, size], generator: generator).requires_grad_(true);
        var w = randn([6, channels, kernel, kernel], generator: generator);
        var y = nn.functional.conv2d(x, w, padding: [padding, padding]);
        var u = randn(y.shape, generator: generator);
        var gradient = autograd.grad([(y * u).sum()], [x])[0].to(ScalarType.Float64);
        // The float64 reference: the adjoint of the convolution, in libtorch's own float64 kernels (oneDNN has none).
        var reference = nn.functional.conv_transpose2d(u.to(ScalarType.Float64), w.to(ScalarType.Float64), padding: [padding, padding]);
        return ((gradient - reference).norm() / reference.norm()).item<double>();
    }

    /// <summary>Whether libtorch uses oneDNN, or null where the switch cannot be reached.</summary>
    public static bool? Enabled
    {
        get => Exports() is { } e ? e.Get(e.Context()) : null;
        set
        {
            if (value is { } on && Exports() is { } e) e.Set(e.Context(), on);
        }
    }

    /// <summary>Runs the check (or applies <c>BASIN_ONEDNN</c>) and says what was done, for <c>basin info</c>.</summary>
    public static string Configure()
    {
        string? forced = Environment.GetEnvironmentVariable("BASIN_ONEDNN");
        if (forced is "on" or "off")
        {
            Enabled = forced == "on";
            return $"oneDNN {forced} (BASIN_ONEDNN={forced}, not checked)";
        }
        if (Enabled is not true) return "oneDNN not in use";
        double error = InputGradientError();
        if (error < 1e-4) return $"oneDNN (self-check: conv input gradient within {error:G2} of float64)";
        Enabled = false;
        if (Enabled is not false) return $"oneDNN gives wrong conv input gradients here (rel. error {error:G2}) and could not be turned off";
        double after = InputGradientError();
        return $"libtorch's own kernels: oneDNN turned off, its conv input gradients were wrong here (rel. error {error:G2}; now {after:G2})";
    }

    // Looked up once: per-sample gradients ask Enabled for every convolution layer they meet.
    private static readonly Lazy<(Func<IntPtr> Context, FlagSetter Set, FlagGetter Get)?> Resolved = new(Resolve);

    private static (Func<IntPtr> Context, FlagSetter Set, FlagGetter Get)? Exports() => Resolved.Value;

    private static (Func<IntPtr> Context, FlagSetter Set, FlagGetter Get)? Resolve()
    {
        IntPtr library = LibDl.DlOpen("libtorch_cpu.so", LibDl.RtldNow | LibDl.RtldNoLoad);
        if (library == IntPtr.Zero) return null;
        if (!NativeLibrary.TryGetExport(library, GlobalContext, out var context)
            || !NativeLibrary.TryGetExport(library, SetEnabled, out var set)
            || !NativeLibrary.TryGetExport(library, GetEnabled, out var get))
            return null;
        var getter = Marshal.GetDelegateForFunctionPointer<ContextGetter>(context);
        return (() => getter(), Marshal.GetDelegateForFunctionPointer<FlagSetter>(set), Marshal.GetDelegateForFunctionPointer<FlagGetter>(get));
    }
}
