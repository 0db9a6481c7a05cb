// Compiled by MSBuild's RoslynCodeTaskFactory (see TorchSharpNativeFix.targets): plain BCL only.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks the Elf64_Vernaux entry named <see cref="Version"/> weak (vna_flags |= VER_FLG_WEAK) in every
/// libLibTorchSharp.so below <see cref="Directory"/>, when the system libstdc++ lacks that version.
/// Idempotent: an entry already weak is left alone.
/// </summary>
public sealed class WeakenGlibcxxRequirement : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
    };

    [Required] public string Directory { get; set; } = "";
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        string libstdcxx = Array.Find(LibStdCxxCandidates, File.Exists);
        if (libstdcxx == null || Contains(File.ReadAllBytes(libstdcxx), Encoding.ASCII.GetBytes(Version + "\0")))
            return true; // the system provides the version (or is not a glibc Linux): nothing to do
        foreach (var so in System.IO.Directory.EnumerateFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            try
            {
                string outcome = Weaken(so, Version);
                Log.LogMessage(MessageImportance.Low, "{0}: {1} {2}", so, Version, outcome);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError("Could not mark {0} weak in {1}: {2}", Version, so, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    static string Weaken(string path, string version)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 24);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 40), count = (int)BitConverter.ToUInt32(elf, (int)sh + 44);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 24);
            long verneed = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)verneed + 2);
                long aux = verneed + BitConverter.ToUInt32(elf, (int)verneed + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    long name = strtab + BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (CStringAt(elf, name) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) != 0) return "already weak";
                        flags |= VerFlgWeak;
                        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
                        stream.Position = aux + 4;
                        stream.Write(BitConverter.GetBytes(flags), 0, 2);
                        return "marked weak";
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                verneed += BitConverter.ToUInt32(elf, (int)verneed + 12);
            }
        }
        return "not required";
    }

    static string CStringAt(byte[] bytes, long start)
    {
        long end = start;
        while (end < bytes.Length && bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(bytes, (int)start, (int)(end - start));
    }

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            int k = 1;
            while (k < needle.Length && haystack[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }
}
