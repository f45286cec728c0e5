using System.Reflection;
using System.Runtime.InteropServices;
using Basin.IO;
using TorchSharp;

namespace Basin.Native;

/// <summary>What <see cref="TorchRuntime.Initialize"/> did.</summary>
/// <param name="CompatApplied">Whether the libstdc++ compatibility step was needed and applied.</param>
/// <param name="CompatDetail">Why it was or was not applied, and the files it used.</param>
/// <param name="LibTorchSource"><c>bundled</c> or the PyTorch lib folder in use.</param>
/// <param name="LibTorchVersion">The libtorch version.</param>
/// <param name="Device">The device chosen for computation.</param>
/// <param name="CudaAvailable">Whether libtorch reports a usable CUDA device.</param>
/// <param name="Allocator">How host memory is allocated (see <see cref="Native.Allocator"/>).</param>
/// <param name="Convolutions">Which CPU convolution kernels are in use, after the self-check of <see cref="OneDnn"/>.</param>
/// <param name="Environment">The native libraries' environment variables Basin sets unless the user did (see <see cref="NativeEnvironment"/>).</param>
public sealed record TorchRuntimeStatus(
    bool CompatApplied, string CompatDetail, string LibTorchSource, string LibTorchVersion,
    torch.Device Device, bool CudaAvailable, string Allocator, string Convolutions, string Environment);

/// <summary>
/// Loads libtorch and TorchSharp's native bridge once per process, applying the libstdc++ compatibility
/// step where the system needs it, and picks the compute device.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> (GCC 13) for a single
/// symbol, <c>std::ios_base_library_init()</c>. Where the system libstdc++ lacks that version (Debian 12),
/// this class loads <c>libbasin_glibcxx_compat.so</c> (built with the library, it defines that symbol at
/// that version) with <c>RTLD_GLOBAL</c>, writes a copy of <c>libLibTorchSharp.so</c> whose requirement
/// of the version is marked weak (<see cref="ElfVersionPatcher"/>) into a cache folder, and points
/// TorchSharp's imports at that copy. Where the system libstdc++ is new enough nothing is changed.
/// Call <see cref="Initialize"/> before the first use of TorchSharp.
/// </remarks>
public static class TorchRuntime
{
    private const string NeededVersion = "GLIBCXX_3.4.32";
    private const string NeededSymbol = "_ZSt21ios_base_library_initv";
    private static readonly object Gate = new();
    private static readonly Dictionary<string, IntPtr> Handles = new(StringComparer.Ordinal);
    private static TorchRuntimeOptions? nativeOptions;
    private static (bool Applied, string Detail)? compat;
    private static TorchRuntimeStatus? status;
    private static string allocator = "system default";
    private static string environment = "left alone";

    /// <summary>The status of the loaded runtime; initialises with options from the environment if needed.</summary>
    public static TorchRuntimeStatus Status => status ?? Initialize();

    /// <summary>The device chosen at initialisation.</summary>
    public static torch.Device Device => Status.Device;

    /// <summary>
    /// Waits until the kernels queued on the chosen device have run. CUDA runs them asynchronously, so a wall-clock timing without
    /// this counts their launch only (on the H200 of 2026-12-04 a ResNet-18 preview said 26 s for a run that took over 100 s);
    /// on the CPU there is nothing to wait for.
    /// </summary>
    public static void Synchronize()
    {
        if (Device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }

    /// <summary>
    /// Points TorchSharp's native imports at this class when the Basin assembly loads, so that the
    /// compatibility step runs before TorchSharp's first native call even if <see cref="Initialize"/>
    /// was not called (options then come from the environment).
    /// </summary>
#pragma warning disable CA2255 // A library may register its native resolver at load: that is the point here.
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void RegisterResolver()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Someone else resolves TorchSharp's imports; Initialize still loads the libraries itself.
        }
    }
#pragma warning restore CA2255

    /// <summary>Loads the native libraries and picks the device (once; later calls return the first status).</summary>
    /// <exception cref="InvalidOperationException">The native libraries cannot be loaded; the message says why.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static TorchRuntimeStatus Initialize(TorchRuntimeOptions? options = null)
    {
        lock (Gate)
        {
            if (status is not null) return status;
            options ??= nativeOptions ?? TorchRuntimeOptions.FromEnvironment();
            if (!Enum.IsDefined(options.Device)) throw new ArgumentException($"unknown device {(int)options.Device}");
            if (compat is not null && nativeOptions!.LibTorchDirectory != options.LibTorchDirectory)
                throw new InvalidOperationException("libtorch was already loaded with other options: call TorchRuntime.Initialize before any other use of TorchSharp");
            var (applied, detail) = EnsureNativeLoaded(options);
            // The bundled libtorch is the CPU build: CUDA is tried only with an external PyTorch install.
            bool cuda = options.Device != DeviceChoice.Cpu && options.LibTorchDirectory is not null && TryCuda();
            if (options.Device == DeviceChoice.Cuda && !cuda)
                throw new InvalidOperationException("device cuda was asked for but libtorch reports no usable CUDA device (the bundled libtorch is CPU-only: point BASIN_LIBTORCH at the torch/lib folder of a CUDA PyTorch install)");
            torch.InitializeDeviceType(DeviceType.CPU);
            string source = options.LibTorchDirectory is { } dir ? Path.GetFullPath(dir) : "bundled";
            if (NativeEnvironment.QuietWarnings()) environment += ", libtorch warnings off (TORCH_CPP_LOG_LEVEL to show them)";
            string convolutions = OneDnn.Configure();
            status = new TorchRuntimeStatus(applied, detail, source, LibTorchVersion(options.LibTorchDirectory), cuda ? torch.CUDA : torch.CPU, cuda, allocator, convolutions, environment);
            return status;
        }
    }

    private static (bool Applied, string Detail) EnsureNativeLoaded(TorchRuntimeOptions options)
    {
        lock (Gate)
        {
            if (compat is { } done) return done;
            allocator = Allocator.Configure();
            environment = NativeEnvironment.Configure();
            nativeOptions = options;
            compat = LoadNative(options);
            return compat.Value;
        }
    }

    private static (bool, string) LoadNative(TorchRuntimeOptions options)
    {
        if (!OperatingSystem.IsLinux()) return (false, "not Linux: nothing to do");
        if (options.LibTorchDirectory is { } dir) LoadExternalLibTorch(dir);
        if (SystemHasVersion()) return (false, $"system libstdc++ provides {NeededVersion}: nothing to do");

        // Next to the program when built from source; under runtimes/ when Basin came as a NuGet package.
        string compatLibrary = new[] { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native") }
            .Select(d => Path.Combine(d, "libbasin_glibcxx_compat.so")).FirstOrDefault(File.Exists) ?? Path.Combine(AppContext.BaseDirectory, "libbasin_glibcxx_compat.so");
        if (!File.Exists(compatLibrary))
            throw new InvalidOperationException($"the system libstdc++ lacks {NeededVersion} and the compatibility library {compatLibrary} is missing: rebuild Basin with g++ installed");
        if (LibDl.DlOpen(compatLibrary, LibDl.RtldNow | LibDl.RtldGlobal) == IntPtr.Zero)
            throw new InvalidOperationException($"cannot load {compatLibrary}: {LibDl.LastError()}");
        string bundled = FindBundledNativeDirectory();
        string patched = WritePatchedCopy(Path.Combine(bundled, "libLibTorchSharp.so"));
        if (options.LibTorchDirectory is null)
            Handles["torch"] = LoadOrThrow(Path.Combine(bundled, "libtorch.so"));
        Handles["LibTorchSharp"] = LoadOrThrow(patched);
        return (true, $"system libstdc++ lacks {NeededVersion}: loaded {compatLibrary} and {patched}");
    }

    private static bool TryCuda()
    {
        try { return torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available(); }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or DllNotFoundException) { return false; }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        try
        {
            EnsureNativeLoaded(nativeOptions ?? TorchRuntimeOptions.FromEnvironment());
        }
        catch (InvalidOperationException)
        {
            return IntPtr.Zero; // Initialize reports the reason; TorchSharp falls back to its own search.
        }
        string key = name.StartsWith("lib", StringComparison.Ordinal) ? name[3..] : name;
        if (key.EndsWith(".so", StringComparison.Ordinal)) key = key[..^3];
        lock (Gate) return Handles.TryGetValue(key, out var handle) ? handle : IntPtr.Zero;
    }
    private static void LoadExternalLibTorch(string dir)
    {
        if (!Directory.Exists(dir))
            throw new InvalidOperationException($"libtorch folder '{dir}' does not exist (expected the lib folder of a PyTorch install, e.g. …/site-packages/torch/lib)");
        foreach (var lib in new[] { "c10", "torch_cpu", "c10_cuda", "torch_cuda", "torch" })
        {
            string file = Path.Combine(dir, $"lib{lib}.so");
            if (File.Exists(file))
                Handles[lib] = LoadGlobal(file);
            else if (lib is "torch" or "torch_cpu")
                throw new InvalidOperationException($"'{dir}' has no lib{lib}.so: not the lib folder of a PyTorch install");
        }
    }

    private static IntPtr LoadGlobal(string file)
    {
        var handle = LibDl.DlOpen(file, LibDl.RtldNow | LibDl.RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new InvalidOperationException($"cannot load {file}: {LibDl.LastError()}");
        return handle;
    }

    private static IntPtr LoadOrThrow(string file)
    {
        try { return NativeLibrary.Load(file); }
        catch (DllNotFoundException e) { throw new InvalidOperationException($"cannot load {file}: {e.Message}", e); }
    }

    private static bool SystemHasVersion()
    {
        var handle = LibDl.DlOpen("libstdc++.so.6", LibDl.RtldNow);
        return handle != IntPtr.Zero && LibDl.DlVSym(handle, NeededSymbol, NeededVersion) != IntPtr.Zero;
    }

    private static string FindBundledNativeDirectory()
    {
        string baseDir = AppContext.BaseDirectory;
        string torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? baseDir;
        foreach (var candidate in new[] { baseDir, Path.Combine(baseDir, "runtimes", "linux-x64", "native"), torchDir, Path.Combine(torchDir, "runtimes", "linux-x64", "native") })
        {
            if (File.Exists(Path.Combine(candidate, "libLibTorchSharp.so")))
                return candidate;
        }
        throw new InvalidOperationException($"libLibTorchSharp.so not found next to {baseDir}: was the TorchSharp package restored?");
    }

    /// <summary>
    /// Writes (once; later calls reuse it) a copy of <paramref name="original"/> whose requirement of
    /// GLIBCXX_3.4.32 is weak, into the native cache, by temporary file and rename.
    /// </summary>
    internal static string WritePatchedCopy(string original)
    {
        byte[] bytes = File.ReadAllBytes(original);
        int marked = ElfVersionPatcher.MarkWeak(bytes, NeededVersion);
        if (marked == 0)
            throw new InvalidOperationException($"{original} does not require {NeededVersion}; the compatibility step does not apply to this TorchSharp build");
        string hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..16].ToLowerInvariant();
        string dir = Path.Combine(BasinPaths.CacheRoot, "native", hash);
        string target = Path.Combine(dir, "libLibTorchSharp.so");
        if (File.Exists(target) && new FileInfo(target).Length == bytes.Length)
            return target;
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(target, bytes);
        return target;
    }

    private static string LibTorchVersion(string? externalDir)
    {
        if (externalDir is not null)
        {
            string versionPy = Path.Combine(externalDir, "..", "version.py");
            if (File.Exists(versionPy))
            {
                foreach (var line in File.ReadLines(versionPy))
                {
                    if (line.StartsWith("__version__", StringComparison.Ordinal))
                        return line.Split('=', 2)[1].Trim().Trim('\'', '"');
                }
            }
            return "unknown (external)";
        }
        return torch.__version__;
    }
}
