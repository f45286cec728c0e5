using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// A TorchScript model recognised as torchvision's ResNet with basic blocks (ResNet-18 and -34, any width, input channels and
/// classes; He et al. 2016, <c>torchvision.models.resnet</c>), rebuilt from native layers with the script's weights, so that
/// per-sample gradients take the batched method and kept graphs run convolutions as GEMMs — a script's layers are opaque to
/// both (TorchScript runs its submodules natively, where no hook reaches them).
/// </summary>
/// <remarks>
/// The script's module tree and parameter names are visible: <c>conv1</c>, <c>bn1</c>, <c>layerL.B.{conv1,bn1,conv2,bn2}</c>,
/// <c>layerL.B.downsample.{0,1}</c>, <c>fc</c>, and nothing else. What the names do not say — the stem's stride, padding and
/// max-pool, each block's stride — is taken from torchvision's definition (stem 7×7 stride 2 then a 3×3 max-pool of stride 2;
/// stride 2 in the first block of layers 2 to 4) or its common small-image variant (stem stride 1, no max-pool), and the
/// candidate is kept only if it computes the script's outputs: on 4 random inputs in eval mode, every logit within
/// 10⁻⁴ of the largest. Anything else keeps the script (and the loop).
/// </remarks>
internal static partial class ScriptedResNet
{
    [GeneratedRegex(@"^(conv1\.weight|bn1\.(weight|bias)|fc\.(weight|bias)|layer[1-9]\.\d+\.(conv[12]\.weight|bn[12]\.(weight|bias)|downsample\.0\.weight|downsample\.1\.(weight|bias)))$")]
    private static partial Regex ParameterName();

    /// <summary>The native twin of <paramref name="script"/> with its weights, or null when it is not such a ResNet or no candidate computes its outputs.</summary>
    public static nn.Module<Tensor, Tensor>? TryRebuild(nn.Module script, long[] sampleShape, Func<Tensor, Tensor> scriptForward)
    {
        var parameters = script.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        if (parameters.Count == 0 || !parameters.Keys.All(ParameterName().IsMatch) || !parameters.ContainsKey("conv1.weight") || !parameters.ContainsKey("fc.weight")) return null;
        var stem = parameters["conv1.weight"].shape;
        if (stem.Length != 4 || sampleShape.Length != 3 || stem[1] != sampleShape[0] || stem[2] != stem[3]) return null;
        var layers = parameters.Keys.Where(k => k.StartsWith("layer", StringComparison.Ordinal))
            .Select(k => k.Split('.')).GroupBy(p => int.Parse(p[0][5..], System.Globalization.CultureInfo.InvariantCulture)).OrderBy(g => g.Key)
            .Select(g => g.Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Count()).ToArray();
        if (layers.Length == 0) return null;
        var buffers = script.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        using var generator = new Generator(20261204);
        using var probe = randn([4, .. sampleShape], generator: generator).to(parameters["conv1.weight"].dtype);
        foreach (bool small in new[] { false, true })
        {
            TorchvisionResNet? twin = null;
            try
            {
                twin = new TorchvisionResNet(stem[1], stem[0], stem[2], small, layers, parameters["fc.weight"].shape[0]);
                if (!CopyWeights(twin, parameters, buffers) || !SameOutputs(twin, probe, scriptForward)) { twin.Dispose(); continue; }
                return twin;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                twin?.Dispose();
            }
        }
        return null;
    }

    private static bool CopyWeights(nn.Module twin, Dictionary<string, Tensor> parameters, Dictionary<string, Tensor> buffers)
    {
        var own = twin.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var ownBuffers = twin.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        if (own.Count != parameters.Count || !own.Keys.All(parameters.ContainsKey)) return false;
        using var noGrad = no_grad();
        foreach (var (name, value) in own)
        {
            if (!value.shape.SequenceEqual(parameters[name].shape)) return false;
            value.copy_(parameters[name]);
        }
        foreach (var (name, value) in ownBuffers)
        {
            if (!buffers.TryGetValue(name, out var source) || !value.shape.SequenceEqual(source.shape)) return false;
            value.copy_(source);
        }
        return true;
    }

    private static bool SameOutputs(nn.Module<Tensor, Tensor> twin, Tensor probe, Func<Tensor, Tensor> scriptForward)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        twin.eval();
        var expected = scriptForward(probe);
        var actual = twin.call(probe);
        if (!expected.shape.SequenceEqual(actual.shape)) return false;
        double scale = expected.abs().max().to(ScalarType.Float64).item<double>();
        return (expected - actual).abs().max().to(ScalarType.Float64).item<double>() <= 1e-4 * Math.Max(scale, 1e-6);
    }
}

/// <summary>torchvision's ResNet with basic blocks, under torchvision's parameter names (see <see cref="ScriptedResNet"/>).</summary>
internal sealed class TorchvisionResNet : nn.Module<Tensor, Tensor>
{
    // Children are invoked with call(), not forward(), so that forward hooks (per-sample gradients, GEMM convolutions) fire.
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly bool small;
    private readonly List<Sequential> stages = [];
    private readonly Linear fc;

    public TorchvisionResNet(long channels, long width, long kernel, bool small, IReadOnlyList<int> blocks, long classes) : base("ResNet")
    {
        this.small = small;
        conv1 = nn.Conv2d(channels, width, kernel, stride: small ? 1 : 2, padding: kernel / 2, bias: false);
        bn1 = nn.BatchNorm2d(width);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        long input = width;
        for (int l = 0; l < blocks.Count; l++)
        {
            long output = width << l, stride = l == 0 ? 1 : 2;
            var stage = nn.Sequential();
            for (int b = 0; b < blocks[l]; b++)
            {
                stage.append(b.ToString(System.Globalization.CultureInfo.InvariantCulture), new BasicBlock(input, output, b == 0 ? stride : 1));
                input = output;
            }
            stages.Add(stage);
            register_module($"layer{l + 1}", stage);
        }
        fc = nn.Linear(input, classes);
        register_module("fc", fc);
    }

    public override Tensor forward(Tensor x)
    {
        x = nn.functional.relu(bn1.call(conv1.call(x)));
        if (!small) x = nn.functional.max_pool2d(x, 3, 2, 1);
        foreach (var stage in stages) x = stage.call(x);
        return fc.call(nn.functional.adaptive_avg_pool2d(x, 1).flatten(1));
    }

    private sealed class BasicBlock : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Sequential? downsample;

        public BasicBlock(long input, long output, long stride) : base("BasicBlock")
        {
            conv1 = nn.Conv2d(input, output, 3, stride: stride, padding: 1, bias: false);
            bn1 = nn.BatchNorm2d(output);
            conv2 = nn.Conv2d(output, output, 3, padding: 1, bias: false);
            bn2 = nn.BatchNorm2d(output);
            if (stride != 1 || input != output)
                downsample = nn.Sequential(("0", nn.Conv2d(input, output, 1, stride: stride, bias: false)), ("1", nn.BatchNorm2d(output)));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var residual = bn2.call(conv2.call(nn.functional.relu(bn1.call(conv1.call(x)))));
            return nn.functional.relu(residual + (downsample is null ? x : downsample.call(x)));
        }
    }
}
