using System.Runtime.InteropServices;

namespace Basin.Native;

/// <summary>
/// Environment variables the native libraries read when they load, set (unless the user set them) before libtorch is loaded:
/// .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the C library's environment, so
/// this calls <c>setenv</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>MKL_CBWR=AUTO,STRICT</c>: MKL's conditional numerical reproducibility. Without it MKL picks code paths by the
/// alignment of its buffers, so the same float32 matrix product could round differently from run to run: on the AMD EPYC VM
/// of 2026-12-01 a 3-model study trained in one process and model by model gave test losses 0.68218023 and 0.68218029, and
/// the test comparing them failed 2 runs in 3 (3 in 3 passed with the setting).</item>
/// <item><c>OMP_WAIT_POLICY=PASSIVE</c>: libgomp's threads sleep at a barrier instead of spinning. With the default active wait,
/// two Basin processes on 2 cores spent 73% of their CPU time spinning in libgomp and a LeNet-5 Hessian-vector product
/// took 4.9 s instead of 0.33 s alone; with the passive wait 1.5 s (docs/benchmarks.md).</item>
/// </list>
/// And once libtorch is loaded, <see cref="QuietWarnings"/> raises c10's log level to errors, unless <c>TORCH_CPP_LOG_LEVEL</c>
/// is set: libtorch's warnings (e.g. "Could not initialize NNPACK! Reason: Unsupported hardware", printed on the first
/// convolution on a CPU NNPACK does not support) then stay off the commands' one-line errors. A libtorch-only program
/// does not read that variable itself (PyTorch's Python module does), so this writes c10's <c>FLAGS_caffe2_log_level</c>.
/// </remarks>
internal static partial class NativeEnvironment
{
    /// <summary>The variables and the values Basin gives them.</summary>
    public static readonly (string Name, string Value)[] Defaults = [("MKL_CBWR", "AUTO,STRICT"), ("OMP_WAIT_POLICY", "PASSIVE")];

    private const int ErrorLevel = 2; // c10: INFO 0, WARNING 1, ERROR 2

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets each variable the user has not set (Linux only); says which values are in force.</summary>
    public static string Configure()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux: left alone";
        foreach (var (name, value) in Defaults)
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                SetEnv(name, value, 0);
                Environment.SetEnvironmentVariable(name, value);
            }
        return string.Join(", ", Defaults.Select(d => $"{d.Name}={Environment.GetEnvironmentVariable(d.Name)}"));
    }

    /// <summary>Shows libtorch's errors only (not its warnings) unless <c>TORCH_CPP_LOG_LEVEL</c> is set; false where c10's flag cannot be reached.</summary>
    public static bool QuietWarnings()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("TORCH_CPP_LOG_LEVEL") is not null) return false;
        IntPtr library = LibDl.DlOpen("libc10.so", LibDl.RtldNow | LibDl.RtldNoLoad);
        if (library == IntPtr.Zero || !NativeLibrary.TryGetExport(library, "FLAGS_caffe2_log_level", out var level)) return false;
        Marshal.WriteInt32(level, Math.Max(Marshal.ReadInt32(level), ErrorLevel));
        return true;
    }
}
