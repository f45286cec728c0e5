using System.Runtime.CompilerServices;
using Basin.Native;

namespace Basin.Tests;

internal static class TestSetup
{
    /// <summary>Loads libtorch (with the compatibility step where needed) before any test touches TorchSharp.</summary>
    [ModuleInitializer]
    internal static void LoadTorch() => TorchRuntime.Initialize(new TorchRuntimeOptions(Device: DeviceChoice.Cpu));
}
