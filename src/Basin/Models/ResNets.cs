using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// A pre-activation residual block (He et al. 2016, "Identity mappings"): BN–ReLU–conv3×3–BN–ReLU–conv3×3
/// plus a shortcut. The shortcut is the identity when shapes match; otherwise either parameter-free
/// (option A: stride-2 subsampling and zero channels, as ResNet-20 for CIFAR) or a 1×1 convolution of
/// the pre-activated input (as Wide ResNets). PyTorch names: bn1, conv1, bn2, conv2, shortcut.
/// </summary>
internal sealed class PreActBlock : nn.Module<Tensor, Tensor>
{
    // Children are invoked with call(), not forward(), so that forward hooks (per-sample gradients) fire.
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv2;
    private readonly Conv2d? shortcut;
    private readonly long stride;
    private readonly long zeroChannels;

    public PreActBlock(long input, long output, long stride, bool projection) : base("PreActBlock")
    {
        bn1 = nn.BatchNorm2d(input);
        conv1 = nn.Conv2d(input, output, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(output);
        conv2 = nn.Conv2d(output, output, 3, padding: 1, bias: false);
        this.stride = stride;
        bool reshape = stride != 1 || input != output;
        if (reshape && projection) shortcut = nn.Conv2d(input, output, 1, stride: stride, bias: false);
        else if (reshape) zeroChannels = output - input;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var activated = nn.functional.relu(bn1.call(x));
        var residual = conv2.call(nn.functional.relu(bn2.call(conv1.call(activated))));
        Tensor skip;
        if (shortcut is not null) skip = shortcut.call(activated);
        else if (stride != 1 || zeroChannels != 0)
        {
            var sub = x.slice(2, 0, x.shape[2], stride).slice(3, 0, x.shape[3], stride);
            long before = zeroChannels / 2, after = zeroChannels - before;
            skip = nn.functional.pad(sub, [0, 0, 0, 0, before, after]);
        }
        else skip = x;
        return residual + skip;
    }
}

/// <summary>
/// Pre-activation ResNet for 32×32 images (He et al. 2016b; the ResNet-20 of seed 001 Appendix E):
/// conv3×3(16) → three stages of n blocks at widths 16·k, 32·k, 64·k (stride 2 between stages) →
/// BN–ReLU → global average pooling → linear. Depth = 6n + 2 (ResNet) or 6n + 4 (WRN).
/// PyTorch names: conv1, layer1 … layer3 (each a Sequential of blocks), bn, fc.
/// </summary>
internal sealed class PreActResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly BatchNorm2d bn;
    private readonly Linear fc;

    public PreActResNet(long channels, int classes, int blocksPerStage, int widen, bool projection) : base("PreActResNet")
    {
        long[] widths = [16 * widen, 32 * widen, 64 * widen];
        conv1 = nn.Conv2d(channels, 16, 3, padding: 1, bias: false);
        long input = 16;
        var layers = new Sequential[3];
        for (int s = 0; s < 3; s++)
        {
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < blocksPerStage; b++)
            {
                blocks.Add((b.ToString(System.Globalization.CultureInfo.InvariantCulture), new PreActBlock(input, widths[s], b == 0 && s > 0 ? 2 : 1, projection)));
                input = widths[s];
            }
            layers[s] = nn.Sequential(blocks);
        }
        (layer1, layer2, layer3) = (layers[0], layers[1], layers[2]);
        bn = nn.BatchNorm2d(input);
        fc = nn.Linear(input, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = layer3.call(layer2.call(layer1.call(conv1.call(x))));
        h = nn.functional.relu(bn.call(h));
        return fc.call(h.mean([2, 3]));
    }
}
