// Compiled by MSBuild's RoslynCodeTaskFactory (see Publicizer.targets): plain BCL only, since
// System.Reflection.Metadata cannot be loaded there. Reads the ECMA-335 tables by hand.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Copies each reference assembly to <see cref="OutputDirectory"/> with its internals made visible to the compiler:
/// types become public (nested: nested public); non-virtual private, private protected, internal and protected internal
/// methods and fields become public; virtual private protected becomes protected and virtual internal public, so that
/// `protected override` compiles. Private virtual methods (explicit interface implementations) are left alone.
/// Only the flags change: the copy is for compiling against, the original assembly is what runs.
/// </summary>
public sealed class PublicizeAssemblies : Task
{
    [Required] public ITaskItem[] Assemblies { get; set; } = new ITaskItem[0];
    [Required] public string OutputDirectory { get; set; } = "";
    [Output] public ITaskItem[] Publicized { get; set; } = new ITaskItem[0];

    const int TypeDefTable = 0x02, FieldTable = 0x04, MethodDefTable = 0x06;

    public override bool Execute()
    {
        Directory.CreateDirectory(OutputDirectory);
        var outputs = new List<ITaskItem>();
        foreach (var assembly in Assemblies)
        {
            string source = assembly.ItemSpec;
            string target = Path.Combine(OutputDirectory, Path.GetFileName(source));
            try
            {
                if (!File.Exists(target) || File.GetLastWriteTimeUtc(target) < File.GetLastWriteTimeUtc(source))
                {
                    byte[] image = File.ReadAllBytes(source);
                    Publicize(image);
                    string temp = target + ".tmp";
                    File.WriteAllBytes(temp, image);
                    if (File.Exists(target)) File.Delete(target);
                    File.Move(temp, target);
                    Log.LogMessage(MessageImportance.Low, "Publicized {0} -> {1}", source, target);
                }
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is IndexOutOfRangeException || e is ArgumentException)
            {
                Log.LogError("Could not publicize {0}: {1}", source, e.Message);
                continue;
            }
            var item = new TaskItem(target);
            assembly.CopyMetadataTo(item);
            item.SetMetadata("ReferenceAssembly", target);
            item.SetMetadata("OriginalPath", source);
            outputs.Add(item);
        }
        Publicized = outputs.ToArray();
        return !Log.HasLoggedErrors;
    }

    static void Publicize(byte[] pe)
    {
        int tables = FindTablesStream(pe, out int tablesSize);
        byte heapSizes = pe[tables + 6];
        ulong valid = BitConverter.ToUInt64(pe, tables + 8);
        var rows = new int[64];
        int cursor = tables + 24;
        for (int t = 0; t < 64; t++)
            if ((valid & (1UL << t)) != 0) { rows[t] = BitConverter.ToInt32(pe, cursor); cursor += 4; }

        int str = (heapSizes & 1) != 0 ? 4 : 2, guid = (heapSizes & 2) != 0 ? 4 : 2, blob = (heapSizes & 4) != 0 ? 4 : 2;
        Func<int, int> index = t => rows[t] < 0x10000 ? 2 : 4;
        Func<int, int[], int> coded = (tagBits, ts) =>
        {
            int max = 0;
            foreach (int t in ts) max = Math.Max(max, rows[t]);
            return max < (1 << (16 - tagBits)) ? 2 : 4;
        };
        // Row sizes of tables 0x00..0x06, the ones laid out before and including MethodDef.
        var rowSize = new int[7];
        rowSize[0x00] = 2 + str + 3 * guid;                                            // Module
        rowSize[0x01] = coded(2, new[] { 0x00, 0x1A, 0x23, 0x01 }) + 2 * str;           // TypeRef
        rowSize[0x02] = 4 + 2 * str + coded(2, new[] { 0x02, 0x01, 0x1B }) + index(0x04) + index(0x06); // TypeDef
        rowSize[0x03] = index(0x04);                                                    // FieldPtr
        rowSize[0x04] = 2 + str + blob;                                                 // Field
        rowSize[0x05] = index(0x06);                                                    // MethodPtr
        rowSize[0x06] = 4 + 2 + 2 + str + blob + index(0x08);                            // MethodDef

        var start = new int[7];
        int offset = cursor;
        for (int t = 0; t < 7; t++) { start[t] = offset; offset += rows[t] * rowSize[t]; }
        if (offset > tables + tablesSize) throw new InvalidDataException("the metadata tables run past their stream");

        for (int r = 0; r < rows[TypeDefTable]; r++)
        {
            int at = start[TypeDefTable] + r * rowSize[TypeDefTable];
            uint flags = BitConverter.ToUInt32(pe, at);
            uint visibility = flags & 0x7;
            uint wanted = visibility == 0 ? 1u : visibility >= 3 ? 2u : visibility; // NotPublic -> Public; nested non-public -> NestedPublic
            WriteUInt32(pe, at, (flags & ~0x7u) | wanted);
        }
        for (int r = 0; r < rows[FieldTable]; r++)
        {
            int at = start[FieldTable] + r * rowSize[FieldTable];
            ushort flags = BitConverter.ToUInt16(pe, at);
            WriteUInt16(pe, at, (ushort)((flags & ~0x7) | Widen(flags & 0x7, isVirtual: false)));
        }
        for (int r = 0; r < rows[MethodDefTable]; r++)
        {
            int at = start[MethodDefTable] + r * rowSize[MethodDefTable] + 6;
            ushort flags = BitConverter.ToUInt16(pe, at);
            WriteUInt16(pe, at, (ushort)((flags & ~0x7) | Widen(flags & 0x7, isVirtual: (flags & 0x40) != 0)));
        }
    }

    // Member access: 1 Private, 2 FamANDAssem (private protected), 3 Assembly (internal), 4 Family, 5 FamORAssem, 6 Public.
    static int Widen(int access, bool isVirtual)
    {
        if (!isVirtual) return access == 1 || access == 2 || access == 3 || access == 5 ? 6 : access;
        if (access == 2) return 4; // virtual private protected -> protected
        if (access == 3) return 6; // virtual internal -> public
        return access;             // private virtual (explicit interface implementations), protected (internal): as they are
    }

    /// <summary>File offset of the #~ stream, found through PE headers, the CLI header and the metadata root.</summary>
    static int FindTablesStream(byte[] pe, out int size)
    {
        if (pe.Length < 0x40 || pe[0] != 'M' || pe[1] != 'Z') throw new InvalidDataException("not a PE file");
        int peHeader = BitConverter.ToInt32(pe, 0x3C);
        if (BitConverter.ToUInt32(pe, peHeader) != 0x00004550) throw new InvalidDataException("no PE signature");
        int coff = peHeader + 4;
        int sections = BitConverter.ToUInt16(pe, coff + 2);
        int optionalSize = BitConverter.ToUInt16(pe, coff + 16);
        int optional = coff + 20;
        ushort magic = BitConverter.ToUInt16(pe, optional);
        int directories = optional + (magic == 0x20b ? 112 : 96);
        int cliRva = BitConverter.ToInt32(pe, directories + 14 * 8);
        if (cliRva == 0) throw new InvalidDataException("not a .NET assembly (no CLI header)");
        int sectionTable = optional + optionalSize;
        Func<int, int> fileOffset = rva =>
        {
            for (int s = 0; s < sections; s++)
            {
                int h = sectionTable + s * 40;
                int va = BitConverter.ToInt32(pe, h + 12), rawSize = BitConverter.ToInt32(pe, h + 16), raw = BitConverter.ToInt32(pe, h + 20);
                int virtualSize = Math.Max(BitConverter.ToInt32(pe, h + 8), rawSize);
                if (rva >= va && rva < va + virtualSize) return rva - va + raw;
            }
            throw new InvalidDataException("an RVA lies in no section");
        };
        int cli = fileOffset(cliRva);
        int root = fileOffset(BitConverter.ToInt32(pe, cli + 8));
        if (BitConverter.ToUInt32(pe, root) != 0x424A5342) throw new InvalidDataException("no metadata signature");
        int versionLength = BitConverter.ToInt32(pe, root + 12);
        int streams = BitConverter.ToUInt16(pe, root + 16 + versionLength + 2);
        int header = root + 16 + versionLength + 4;
        for (int s = 0; s < streams; s++)
        {
            int streamOffset = BitConverter.ToInt32(pe, header), streamSize = BitConverter.ToInt32(pe, header + 4);
            int nameStart = header + 8, nameEnd = nameStart;
            while (pe[nameEnd] != 0) nameEnd++;
            string name = Encoding.ASCII.GetString(pe, nameStart, nameEnd - nameStart);
            if (name == "#~" || name == "#-") { size = streamSize; return root + streamOffset; }
            header = nameStart + ((nameEnd - nameStart + 4) & ~3);
        }
        throw new InvalidDataException("no #~ metadata tables stream");
    }

    static void WriteUInt16(byte[] bytes, int at, ushort value) { bytes[at] = (byte)value; bytes[at + 1] = (byte)(value >> 8); }

    static void WriteUInt32(byte[] bytes, int at, uint value)
    {
        for (int i = 0; i < 4; i++) bytes[at + i] = (byte)(value >> (8 * i));
    }
}
