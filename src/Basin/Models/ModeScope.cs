using static TorchSharp.torch;

namespace Basin.Models;

/// <summary>
/// Puts the model in eval mode (or train mode) and restores its mode on dispose. In train mode batch
/// norm updates its running statistics on every forward pass; they are restored too, so measuring
/// curvature never changes the model.
/// </summary>
internal sealed class ModeScope : IDisposable
{
    private readonly nn.Module module;
    private readonly bool wasTraining;
    private readonly (Tensor Buffer, Tensor Saved)[] saved;

    public ModeScope(nn.Module module, bool train)
    {
        this.module = module;
        wasTraining = module.training;
        saved = train ? module.buffers().Select(b => (b, b.detach().clone().DetachFromDisposeScope())).ToArray() : [];
        if (train) module.train();
        else module.eval();
    }

    public void Dispose()
    {
        using (no_grad())
        {
            foreach (var (buffer, copy) in saved)
            {
                buffer.copy_(copy);
                copy.Dispose();
            }
        }
        if (wasTraining) module.train();
        else module.eval();
    }
}
