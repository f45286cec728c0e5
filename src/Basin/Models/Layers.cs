using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>Activations by name.</summary>
public static class Activations
{
    /// <summary>The names accepted: relu, tanh, sigmoid.</summary>
    public static readonly string[] Names = ["relu", "tanh", "sigmoid"];

    /// <summary>A new activation module.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name) => name switch
    {
        "relu" => nn.ReLU(),
        "tanh" => nn.Tanh(),
        "sigmoid" => nn.Sigmoid(),
        _ => throw new FormatException($"unknown activation '{name}': use {string.Join(", ", Names)}"),
    };
}

/// <summary>
/// Seeded initialisation. Linear and convolution layers get PyTorch's default
/// (<c>U(−1/√fan_in, 1/√fan_in)</c> for weight and bias, i.e. Kaiming-uniform with a = √5); batch norm
/// scale 1 and shift 0; modules with their own scheme implement <see cref="ISeededInit"/>.
/// </summary>
public static class SeededInit
{
    /// <summary>Re-initialises every parameter of <paramref name="model"/> from <paramref name="seed"/>.</summary>
    public static void Apply(nn.Module model, int seed)
    {
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        // TorchSharp's named_modules() leaves out the module itself.
        foreach (var module in model.named_modules().Select(m => m.module).Prepend(model))
        {
            switch (module)
            {
                case Linear linear:
                    Uniform(linear.weight!, 1.0 / Math.Sqrt(linear.weight!.shape[1]), generator);
                    if (linear.bias is { } lb) Uniform(lb, 1.0 / Math.Sqrt(linear.weight!.shape[1]), generator);
                    break;
                case Conv2d conv:
                    long fanIn = conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3];
                    Uniform(conv.weight, 1.0 / Math.Sqrt(fanIn), generator);
                    if (conv.bias is { } cb) Uniform(cb, 1.0 / Math.Sqrt(fanIn), generator);
                    break;
                case BatchNorm2d bn:
                    bn.weight!.fill_(1);
                    bn.bias!.zero_();
                    break;
                case ISeededInit custom:
                    custom.Reset(generator);
                    break;
            }
        }
    }

    /// <summary>Fills <paramref name="t"/> with <c>U(−bound, bound)</c> draws from <paramref name="generator"/>.</summary>
    public static void Uniform(Tensor t, double bound, Generator generator)
    {
        using var draw = rand(t.shape, t.dtype, t.device, generator: generator);
        t.copy_(draw.mul_(2 * bound).sub_(bound));
    }
}

/// <summary>A module with its own seeded initialisation of its direct parameters.</summary>
public interface ISeededInit
{
    /// <summary>Re-initialises the module's own parameters from <paramref name="generator"/>.</summary>
    void Reset(Generator generator);
}
