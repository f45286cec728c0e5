using Basin.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Operators;

/// <summary>
/// Runs a model's 2-D convolutions as unfold + one matrix product while a curvature operator builds the graph it keeps
/// and differentiates at every product, where libtorch's own convolution kernels would compute them (the CPU without oneDNN).
/// </summary>
/// <remarks>
/// <para>
/// A convolution is <c>y = W · unfold(x)</c> with <c>W</c> the weight as a [C_out, C_in·k_h·k_w] matrix and
/// <c>unfold(x)</c> the [C_in·k_h·k_w, N·L] matrix of every sample's patches (L output positions per sample), plus the
/// bias. Its first backward is two matrix products and a fold (col2im); differentiating that again, as a Hessian- or
/// GGN-vector product does, is matrix products, folds and unfolds, all of which libtorch runs on MKL's GEMM. libtorch's
/// own convolution (<c>slow_conv2d</c>, used when oneDNN is off — <see cref="OneDnn"/>) computes the same products one
/// sample at a time, and its double backward goes through transposed convolutions of the same kind: in one benchmark run
/// on 2 cores a Hessian-vector product took 1.62 → 0.93 gradients (LeNet-5 at batch 2048), 3.09 → 2.50 (cnn6 at 128) and
/// 3.39 → 2.16 (ResNet-20 at 128) that way → as GEMMs (docs/benchmarks.md). Building the graph costs more in this form
/// (a larger forward and first backward), so only graphs that are kept for many products use it.
/// </para>
/// <para>
/// The swap is done with hooks, so no model changes: a pre-hook computes the GEMM form from the layer's input and hands
/// the layer one sample to convolve (1/N of its work, whose output no loss reaches), and the forward hook returns the
/// GEMM form instead. The values are those of the convolution to rounding (tested in float64 against the plain
/// graph); the cost is memory: the graph keeps the unfolded patches, C_in·k_h·k_w values per output position
/// (<see cref="UnfoldedBytesPerSample"/>). Grouped convolutions and padding modes other than zeros are left to libtorch.
/// </para>
/// </remarks>
internal static class GemmConvolutions
{
    [ThreadStatic]
    private static bool? force;

    /// <summary>Forces the GEMM form on (true) or off (false) on this thread, for tests and the benchmark; null for the default.</summary>
    internal static bool? Force
    {
        get => force;
        set => force = value;
    }

    private static readonly Lazy<bool?> Setting = new(() => ParseSetting(Environment.GetEnvironmentVariable("BASIN_CONV_GEMM")));

    /// <summary>Reads <c>BASIN_CONV_GEMM</c>: on, off, or unset (null).</summary>
    internal static bool? ParseSetting(string? text) => text switch
    {
        null or "" => null,
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"BASIN_CONV_GEMM must be 'on' or 'off', got '{text}'"),
    };

    /// <summary>
    /// Whether the GEMM form is used on <paramref name="device"/>: on the CPU when oneDNN does not compute convolutions,
    /// unless <c>BASIN_CONV_GEMM=on|off</c> says otherwise (off: smaller graphs, slower products).
    /// </summary>
    public static bool Applies(Device device) => force ?? Setting.Value ?? (device.type == DeviceType.CPU && OneDnn.Enabled != true);

    /// <summary>Whether a convolution layer can be run in the GEMM form.</summary>
    public static bool Supports(Conv2d conv) =>
        conv.groups == 1 && conv.padding_mode == PaddingModes.Zeros && conv.padding_type is null;

    /// <summary>Runs every supported convolution of <paramref name="module"/> in the GEMM form until disposed.</summary>
    public static IDisposable Use(nn.Module module)
    {
        var removers = new List<Action>();
        var pending = new Dictionary<nn.Module, Stack<Tensor>>(ReferenceEqualityComparer.Instance);
        foreach (var conv in module.modules().Prepend(module).OfType<Conv2d>().Where(Supports))
        {
            removers.Add(conv.register_forward_pre_hook((m, input) =>
            {
                if (!pending.TryGetValue(m, out var stack)) pending[m] = stack = new Stack<Tensor>();
                stack.Push(Convolve((Conv2d)m, input));
                return input.narrow(0, 0, 1);
            }).remove);
            removers.Add(conv.register_forward_hook((m, _, _) => pending[m].Pop()).remove);
        }
        return new Removal(removers);
    }

    /// <summary>The convolution <paramref name="conv"/> of <paramref name="x"/> [N, C_in, H, W] as one matrix product.</summary>
    internal static Tensor Convolve(Conv2d conv, Tensor x)
    {
        long n = x.shape[0], kh = conv.kernel_size[0], kw = conv.kernel_size[1];
        long ph = conv.padding![0], pw = conv.padding[1], sh = conv.stride[0], sw = conv.stride[1], dh = conv.dilation[0], dw = conv.dilation[1];
        long ho = (x.shape[2] + 2 * ph - dh * (kh - 1) - 1) / sh + 1, wo = (x.shape[3] + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        long o = conv.out_channels;
        var columns = Columns(conv, x);                                                      // [K, N·L]
        long k = columns.shape[0];
        var y = conv.weight!.view(o, k).mm(columns);                                         // [O, N·L]
        if (conv.bias is { } bias) y = y + bias.view(o, 1);
        return y.view(o, n, ho, wo).permute(1, 0, 2, 3).contiguous();
    }

    /// <summary>
    /// Every sample's patches under <paramref name="conv"/>'s kernel, [N, C_in·k_h·k_w, L] (im2col): for an undilated kernel the
    /// sliding windows of the zero-padded input as a view (<c>Tensor.unfold</c> twice), copied once into that layout. On the CPU
    /// <c>nn.functional.unfold</c>'s im2col took a fifth of a ResNet-20's per-sample gradients, which went from 1.20 to 0.89 times a
    /// gradient of the same samples with this copy (docs/benchmarks.md, seventh session); its backward, in a kept graph, is libtorch's
    /// <c>unfold_backward</c> instead of a fold. Dilated kernels keep <c>nn.functional.unfold</c>.
    /// </summary>
    internal static Tensor Patches(Conv2d conv, Tensor x)
    {
        if (conv.dilation[0] != 1 || conv.dilation[1] != 1) return Unfolded(conv, x);
        using var scope = NewDisposeScope();
        var windows = Windows(conv, x);
        return windows.permute(0, 1, 4, 5, 2, 3).reshape(x.shape[0], windows.shape[1] * windows.shape[4] * windows.shape[5], windows.shape[2] * windows.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The patches of <see cref="Patches"/> as the columns the GEMM form multiplies, [C_in·k_h·k_w, N·L], copied once from the
    /// sliding windows (not [N, K, L] and then permuted: a second copy, which made a kept graph's first product 15–25% slower).
    /// </summary>
    internal static Tensor Columns(Conv2d conv, Tensor x)
    {
        using var scope = NewDisposeScope();
        if (conv.dilation[0] != 1 || conv.dilation[1] != 1)
        {
            var patches = Unfolded(conv, x);
            return patches.permute(1, 0, 2).reshape(patches.shape[1], x.shape[0] * patches.shape[2]).MoveToOuterDisposeScope();
        }
        var windows = Windows(conv, x);
        return windows.permute(1, 4, 5, 0, 2, 3).reshape(windows.shape[1] * windows.shape[4] * windows.shape[5], x.shape[0] * windows.shape[2] * windows.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>The sliding windows of the zero-padded input under an undilated kernel, a view [N, C_in, H_o, W_o, k_h, k_w].</summary>
    private static Tensor Windows(Conv2d conv, Tensor x)
    {
        long ph = conv.padding![0], pw = conv.padding[1];
        var padded = ph == 0 && pw == 0 ? x : nn.functional.pad(x, [pw, pw, ph, ph]);
        return padded.unfold(2, conv.kernel_size[0], conv.stride[0]).unfold(3, conv.kernel_size[1], conv.stride[1]);
    }

    /// <summary>A dilated kernel's patches by <c>nn.functional.unfold</c>, [N, C_in·k_h·k_w, L].</summary>
    private static Tensor Unfolded(Conv2d conv, Tensor x) =>
        nn.functional.unfold(x, (conv.kernel_size[0], conv.kernel_size[1]), (conv.dilation[0], conv.dilation[1]), (conv.padding![0], conv.padding[1]), (conv.stride[0], conv.stride[1]));

    /// <summary>The bytes of the unfolded patches one sample's pass through <paramref name="conv"/> keeps, given its output [1, C_out, H_o, W_o].</summary>
    internal static long UnfoldedBytesPerSample(Conv2d conv, Tensor output) =>
        conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1] * output.shape[2] * output.shape[3] * output.element_size();

    private sealed class Removal(List<Action> removers) : IDisposable
    {
        public void Dispose()
        {
            foreach (var remove in removers) remove();
            removers.Clear();
        }
    }
}
