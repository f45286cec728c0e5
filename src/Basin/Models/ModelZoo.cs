using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>Which loss a model is trained and measured with.</summary>
public enum LossKind
{
    /// <summary>Softmax cross-entropy over K logits.</summary>
    CrossEntropy,

    /// <summary>Exponential loss <c>exp(−y f(x))</c> on one output, labels {0, 1} mapped to ∓1.</summary>
    Exponential,

    /// <summary>Squared error <c>½‖f(x) − e_y‖²</c> against the one-hot label.</summary>
    MeanSquaredError,

    /// <summary>
    /// The normalized softmax cross-entropy of seed 004 eq. 20–22: cross-entropy of the logits divided by
    /// their population standard deviation over the K classes, per sample — invariant to scaling and
    /// shifting the logits.
    /// </summary>
    NormalizedCrossEntropy,
}

/// <summary>A model built from the zoo: the module, the spec it came from, and its loss.</summary>
/// <param name="Module">The network; owned by this record.</param>
/// <param name="Spec">The normalised spec string (e.g. <c>mlp:784-256-256-10:relu</c>).</param>
/// <param name="Loss">The loss it is trained with.</param>
/// <param name="PyTorchEquivalent">The PyTorch module whose <c>state_dict</c> names match.</param>
public sealed record Model(nn.Module<Tensor, Tensor> Module, string Spec, LossKind Loss, string PyTorchEquivalent) : IDisposable
{
    /// <summary>The shape of one input sample the model was built for.</summary>
    public long[] InputShape { get; init; } = [];

    /// <summary>The number of outputs (logits) per sample.</summary>
    public long Outputs { get; init; }

    /// <summary>The number of trainable scalars.</summary>
    public long ParameterCount => Module.parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public void Dispose() => Module.Dispose();
}

/// <summary>
/// Builds networks by name and options, e.g. <c>mlp:784-256-256-10</c>, <c>lenet5</c>, <c>resnet20</c>,
/// <c>wrn:16-4</c>, checking them against the data's sample shape and number of classes, and initialising
/// them from a seed.
/// </summary>
public static class ModelZoo
{
    /// <summary>The spec forms with a one-line description.</summary>
    public static IReadOnlyDictionary<string, string> Forms { get; } = new Dictionary<string, string>
    {
        ["softmax"] = "softmax (multinomial logistic) regression on the flattened input",
        ["mlp:D-H1-…-K[:relu|tanh|sigmoid]"] = "fully connected network with the given widths (input D and output K included)",
        ["lenet5"] = "LeNet-5: conv5(6)-pool-conv5(16)-pool-120-84-K, ReLU (28×28 inputs padded by 2)",
        ["cnn6"] = "plain 6-layer CNN of seed 001 App. E: conv3 64,64,pool,128,128,pool,192,192, global average pool, linear",
        ["resnet20"] = "pre-activation ResNet-20 for 32×32 images (option-A shortcuts, 0.27M parameters)",
        ["resnet:DEPTH"] = "pre-activation ResNet of depth 6n+2",
        ["wrn:D-K"] = "Wide ResNet WRN-D-K (pre-activation, 1×1 projection shortcuts)",
        ["vgg16bn"] = "VGG-16 with batch norm, CIFAR variant (one linear classifier on 512 features)",
        ["deeplinear:D"] = "seed 002 §2 deep linear model x·w1⋯wD with exponential loss (scalar input, 2 classes)",
        ["torchscript:PATH"] = "any PyTorch model saved as TorchScript (torch.jit.script or trace), softmax cross-entropy (--loss mse on the command line)",
        ["shared-sigmoid"] = "seed 003 §2 five-layer sigmoid MLP with weights shared across layers: two free parameters (2-D input, 2 classes)",
    };

    /// <summary>Builds the model named by <paramref name="spec"/> for samples of <paramref name="sampleShape"/>.</summary>
    /// <exception cref="FormatException">The spec is unknown, malformed, or does not fit the data; the message says what would.</exception>
    public static Model Create(string spec, long[] sampleShape, int classes, int seed)
    {
        if (spec.StartsWith(TorchScriptModels.Prefix, StringComparison.Ordinal)) return TorchScriptModels.Load(spec[TorchScriptModels.Prefix.Length..], sampleShape, classes);
        string[] parts = spec.Trim().Split(':');
        string name = parts[0];
        long inputSize = sampleShape.Aggregate(1L, (a, b) => a * b);
        Model model = name switch
        {
            "softmax" => Build(Sequential(("0", nn.Flatten()), ("1", nn.Linear(inputSize, classes))), "softmax", LossKind.CrossEntropy,
                $"nn.Sequential(nn.Flatten(), nn.Linear({inputSize}, {classes}))"),
            "mlp" => Mlp(parts, inputSize, classes),
            "lenet5" => LeNet5(Image(spec, sampleShape), classes),
            "cnn6" => Cnn6(Image(spec, sampleShape), classes),
            "resnet20" => ResNet("resnet20", Image(spec, sampleShape), classes, 3),
            "resnet" => ResNet(spec, Image(spec, sampleShape), classes, ResNetBlocks(spec, parts)),
            "wrn" => Wrn(spec, parts, Image(spec, sampleShape), classes),
            "vgg16bn" => Vgg16(Image(spec, sampleShape), classes),
            "deeplinear" => DeepLinear(spec, parts, inputSize, classes),
            "shared-sigmoid" => SharedSigmoid(spec, inputSize, classes),
            _ => throw new FormatException($"unknown model '{spec}': use one of {string.Join(", ", Forms.Keys)}"),
        };
        if (name is not ("mlp" or "resnet" or "wrn" or "deeplinear") && parts.Length > 1)
        {
            model.Dispose();
            throw new FormatException($"model '{name}' takes no options (got '{spec}')");
        }
        SeededInit.Apply(model.Module, seed);
        return model with { InputShape = sampleShape.ToArray(), Outputs = model.Loss == LossKind.Exponential ? 1 : classes };
    }

    private static Model Build(nn.Module<Tensor, Tensor> module, string spec, LossKind loss, string pytorch) => new(module, spec, loss, pytorch);

    private static nn.Module<Tensor, Tensor> Sequential(params (string, nn.Module<Tensor, Tensor>)[] modules) => nn.Sequential(modules);

    private static Model Mlp(string[] parts, long inputSize, int classes)
    {
        if (parts.Length < 2 || parts.Length > 3)
            throw new FormatException($"expected mlp:{inputSize}-H1-…-{classes}[:relu|tanh|sigmoid], e.g. mlp:{inputSize}-256-256-{classes}");
        var widths = parts[1].Split('-').Select(w => long.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v > 0 ? v : -1).ToArray();
        if (widths.Length < 2 || widths.Any(w => w < 0))
            throw new FormatException($"'{parts[1]}' is not a list of positive widths like {inputSize}-256-256-{classes}");
        if (widths[0] != inputSize || widths[^1] != classes)
            throw new FormatException($"mlp:{parts[1]} does not fit the data: its first width must be the input size {inputSize} and its last the number of classes {classes}");
        string act = parts.Length == 3 ? parts[2] : "relu";
        var layers = new List<(string, nn.Module<Tensor, Tensor>)> { ("0", nn.Flatten()) };
        var torchLayers = new List<string> { "nn.Flatten()" };
        for (int i = 0; i < widths.Length - 1; i++)
        {
            layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.Linear(widths[i], widths[i + 1])));
            torchLayers.Add($"nn.Linear({widths[i]}, {widths[i + 1]})");
            if (i < widths.Length - 2)
            {
                layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), Activations.Create(act)));
                torchLayers.Add($"nn.{char.ToUpperInvariant(act[0])}{act[1..]}()".Replace("Relu", "ReLU", StringComparison.Ordinal));
            }
        }
        return Build(nn.Sequential(layers), $"mlp:{parts[1]}:{act}", LossKind.CrossEntropy, $"nn.Sequential({string.Join(", ", torchLayers)})");
    }

    private static Model LeNet5(long[] image, int classes)
    {
        long c = image[0], h = image[1];
        if (h != image[2] || (h != 28 && h != 32)) throw new FormatException($"lenet5 takes 28×28 or 32×32 images, not {image[1]}×{image[2]}");
        long pad = (32 - h) / 2;
        var module = nn.Sequential(
            ("0", nn.Conv2d(c, 6, 5, padding: pad)), ("1", nn.ReLU()), ("2", nn.MaxPool2d(2)),
            ("3", nn.Conv2d(6, 16, 5)), ("4", nn.ReLU()), ("5", nn.MaxPool2d(2)), ("6", nn.Flatten()),
            ("7", nn.Linear(400, 120)), ("8", nn.ReLU()), ("9", nn.Linear(120, 84)), ("10", nn.ReLU()), ("11", nn.Linear(84, classes)));
        return Build(module, "lenet5", LossKind.CrossEntropy,
            $"nn.Sequential(nn.Conv2d({c}, 6, 5, padding={pad}), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, {classes}))");
    }

    private static Model Cnn6(long[] image, int classes)
    {
        long[] widths = [64, 64, 128, 128, 192, 192];
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long input = image[0];
        for (int i = 0; i < widths.Length; i++)
        {
            layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.Conv2d(input, widths[i], 3, padding: 1)));
            layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.ReLU()));
            if (i is 1 or 3) layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.MaxPool2d(2)));
            input = widths[i];
        }
        layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.AdaptiveAvgPool2d(1)));
        layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.Flatten()));
        layers.Add((layers.Count.ToString(CultureInfo.InvariantCulture), nn.Linear(input, classes)));
        return Build(nn.Sequential(layers), "cnn6", LossKind.CrossEntropy,
            "nn.Sequential of Conv2d(3×3, padding 1)+ReLU with 64, 64, MaxPool2d(2), 128, 128, MaxPool2d(2), 192, 192, then AdaptiveAvgPool2d(1), Flatten, Linear");
    }

    private static int ResNetBlocks(string spec, string[] parts)
    {
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int depth) || depth < 8 || (depth - 2) % 6 != 0)
            throw new FormatException($"'{spec}': expected resnet:DEPTH with DEPTH = 6n + 2 (20, 32, 44, 56, 110)");
        return (depth - 2) / 6;
    }

    private static Model ResNet(string spec, long[] image, int classes, int blocks) =>
        Build(new PreActResNet(image[0], classes, blocks, widen: 1, projection: false), spec, LossKind.CrossEntropy,
            "a pre-activation ResNet with modules conv1, layer1..layer3 (Sequential of blocks with bn1, conv1, bn2, conv2), bn, fc");

    private static Model Wrn(string spec, string[] parts, long[] image, int classes)
    {
        var dk = parts.Length == 2 ? parts[1].Split('-') : [];
        if (dk.Length != 2 || !int.TryParse(dk[0], NumberStyles.None, CultureInfo.InvariantCulture, out int depth) || !int.TryParse(dk[1], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            || depth < 10 || (depth - 4) % 6 != 0 || k < 1)
            throw new FormatException($"'{spec}': expected wrn:D-K with D = 6n + 4 and K ≥ 1, e.g. wrn:16-4 or wrn:28-10");
        return Build(new PreActResNet(image[0], classes, (depth - 4) / 6, k, projection: true), $"wrn:{depth}-{k}", LossKind.CrossEntropy,
            "a Wide ResNet with modules conv1, layer1..layer3 (Sequential of blocks with bn1, conv1, bn2, conv2, shortcut), bn, fc");
    }

    private static Model Vgg16(long[] image, int classes)
    {
        object[] cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"];
        if (image[1] != 32 || image[2] != 32) throw new FormatException($"vgg16bn takes 32×32 images, not {image[1]}×{image[2]}");
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long input = image[0];
        foreach (var item in cfg)
        {
            string Next() => layers.Count.ToString(CultureInfo.InvariantCulture);
            if (item is int width)
            {
                layers.Add((Next(), nn.Conv2d(input, width, 3, padding: 1)));
                layers.Add((Next(), nn.BatchNorm2d(width)));
                layers.Add((Next(), nn.ReLU()));
                input = width;
            }
            else layers.Add((Next(), nn.MaxPool2d(2)));
        }
        var module = new Vgg(nn.Sequential(layers), nn.Linear(512, classes));
        return Build(module, "vgg16bn", LossKind.CrossEntropy, "a module with features (Sequential of Conv2d, BatchNorm2d, ReLU, MaxPool2d) and classifier (Linear(512, K))");
    }

    private static Model DeepLinear(string spec, string[] parts, long inputSize, int classes)
    {
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int depth) || depth < 1 || depth > 16)
            throw new FormatException($"'{spec}': expected deeplinear:D with 1 ≤ D ≤ 16, e.g. deeplinear:3");
        if (inputSize != 1 || classes != 2)
            throw new FormatException($"deeplinear takes scalar inputs and 2 classes, the data has {inputSize} inputs and {classes} classes");
        return Build(new DeepLinear(depth), $"deeplinear:{depth}", LossKind.Exponential, "parameters w1 … wD of shape [1]");
    }

    private static Model SharedSigmoid(string spec, long inputSize, int classes)
    {
        if (inputSize != 2 || classes != 2)
            throw new FormatException($"shared-sigmoid takes 2-D inputs and 2 classes (e.g. --data gaussians3), the data has {inputSize} inputs and {classes} classes");
        return Build(new SharedSigmoidMlp(), spec, LossKind.CrossEntropy, "parameters w1, w2 of shape [1]");
    }

    private static long[] Image(string spec, long[] sampleShape)
    {
        if (sampleShape.Length != 3)
            throw new FormatException($"model '{spec}' takes images [C, H, W], the data's samples are {string.Join("×", sampleShape)}");
        return sampleShape;
    }

    private sealed class Vgg : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> features;
        private readonly nn.Module<Tensor, Tensor> classifier;

        public Vgg(nn.Module<Tensor, Tensor> features, nn.Module<Tensor, Tensor> classifier) : base("VGG")
        {
            this.features = features;
            this.classifier = classifier;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => classifier.call(features.call(x).flatten(1));
    }
}
