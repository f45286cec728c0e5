using System.Buffers.Binary;
using System.Text;

namespace Basin.Native;

/// <summary>One version requirement of a shared object (an entry of its <c>.gnu.version_r</c> section).</summary>
/// <param name="File">The library the version is required from, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version node, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Flags">The entry's flags; <see cref="ElfVersionPatcher.WeakFlag"/> marks a weak requirement.</param>
/// <param name="FlagsOffset">Byte offset of the flags field in the file.</param>
public sealed record ElfVersionNeed(string File, string Version, ushort Flags, long FlagsOffset);

/// <summary>
/// Reads the version requirements of a 64-bit little-endian ELF shared object and marks one of them
/// weak, so that the dynamic loader accepts the object when the system library lacks that version.
/// </summary>
/// <remarks>
/// Layout (System V gABI, GNU extensions): the section of type <c>SHT_GNU_verneed</c> holds a chain of
/// <c>Elf64_Verneed</c> records (vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32), each
/// followed by a chain of <c>Elf64_Vernaux</c> (vna_hash u32, vna_flags u16, vna_other u16, vna_name u32,
/// vna_next u32). Names are offsets into the string table named by the section's <c>sh_link</c>.
/// Setting <c>VER_FLG_WEAK</c> (0x2) in vna_flags turns a missing version into a non-fatal condition;
/// the symbols bound to that version must then be provided by another loaded object.
/// </remarks>
public static class ElfVersionPatcher
{
    /// <summary>The <c>VER_FLG_WEAK</c> flag.</summary>
    public const ushort WeakFlag = 0x2;

    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Lists every version requirement of the object.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed 64-bit little-endian ELF object.</exception>
    public static IReadOnlyList<ElfVersionNeed> ReadVersionNeeds(ReadOnlySpan<byte> elf)
    {
        var needs = new List<ElfVersionNeed>();
        if (!TryFindVerneed(elf, out long offset, out long size, out long strtab, out long strsize))
            return needs;
        long vn = offset;
        for (int guard = 0; guard < 10_000; guard++)
        {
            Check(elf, vn, 16, "Verneed record");
            ushort count = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(vn + 2)..]);
            uint fileName = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(vn + 4)..]);
            uint aux = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(vn + 8)..]);
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(vn + 12)..]);
            string file = ReadString(elf, strtab, strsize, fileName);
            long a = vn + aux;
            for (int k = 0; k < count; k++)
            {
                Check(elf, a, 16, "Vernaux record");
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(a + 4)..]);
                uint name = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(a + 8)..]);
                uint anext = BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(a + 12)..]);
                needs.Add(new ElfVersionNeed(file, ReadString(elf, strtab, strsize, name), flags, a + 4));
                if (anext == 0) break;
                a += anext;
            }
            if (next == 0 || vn + next >= offset + size) break;
            vn += next;
        }
        return needs;
    }

    /// <summary>
    /// Sets <see cref="WeakFlag"/> on every requirement of <paramref name="version"/>. Idempotent.
    /// </summary>
    /// <returns>The number of requirements found (0 when the object does not require the version).</returns>
    public static int MarkWeak(Span<byte> elf, string version)
    {
        int found = 0;
        foreach (var need in ReadVersionNeeds(elf))
        {
            if (need.Version != version) continue;
            var field = elf[(int)need.FlagsOffset..];
            BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)(need.Flags | WeakFlag));
            found++;
        }
        return found;
    }

    private static bool TryFindVerneed(ReadOnlySpan<byte> elf, out long offset, out long size, out long strtab, out long strsize)
    {
        offset = size = strtab = strsize = 0;
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file (bad magic number)");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);
        if (shentsize < 64) throw new InvalidDataException($"ELF section header size {shentsize} is too small");
        Check(elf, shoff, (long)shentsize * shnum, "section header table");
        for (int i = 0; i < shnum; i++)
        {
            var header = elf[(int)(shoff + (long)i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed) continue;
            offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
            size = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
            uint link = BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            if (link >= shnum) throw new InvalidDataException("version section links to a missing string table");
            var strHeader = elf[(int)(shoff + (long)link * shentsize)..];
            strtab = (long)BinaryPrimitives.ReadUInt64LittleEndian(strHeader[0x18..]);
            strsize = (long)BinaryPrimitives.ReadUInt64LittleEndian(strHeader[0x20..]);
            Check(elf, offset, size, "version requirement section");
            Check(elf, strtab, strsize, "string table");
            return true;
        }
        return false;
    }

    private static string ReadString(ReadOnlySpan<byte> elf, long strtab, long strsize, uint index)
    {
        if (index >= strsize) throw new InvalidDataException("string index outside the string table");
        var s = elf[(int)(strtab + index)..(int)(strtab + strsize)];
        int end = s.IndexOf((byte)0);
        if (end < 0) throw new InvalidDataException("unterminated string in the string table");
        return Encoding.ASCII.GetString(s[..end]);
    }

    private static void Check(ReadOnlySpan<byte> elf, long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset + length > elf.Length)
            throw new InvalidDataException($"ELF {what} lies outside the file (truncated?)");
    }
}
