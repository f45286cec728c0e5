using System.Runtime.InteropServices;

namespace Basin.Native;

/// <summary>The few calls of the dynamic loader that .NET's NativeLibrary does not expose.</summary>
internal static partial class LibDl
{
    public const int RtldNow = 0x2;
    public const int RtldGlobal = 0x100;
    public const int RtldNoLoad = 0x4;

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr DlOpen(string? path, int flags);

    [LibraryImport("libc", EntryPoint = "dlvsym", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr DlVSym(IntPtr handle, string symbol, string version);

    [LibraryImport("libc", EntryPoint = "dlerror")]
    private static partial IntPtr DlErrorRaw();

    public static string LastError() => Marshal.PtrToStringUTF8(DlErrorRaw()) ?? "unknown dynamic-loader error";
}
