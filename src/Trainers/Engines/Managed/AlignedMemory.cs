using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>Memory helpers of the managed engine's hot loops.</summary>
internal static class AlignedMemory
{
    /// <summary>
    /// Zeroed floats starting on a 64-byte boundary, so that no 512-bit load or store straddles two cache lines
    /// (an array's data starts 16 bytes into a line). Pinned, so the alignment holds.
    /// </summary>
    public static Memory<float> Floats(int length)
    {
        var array = GC.AllocateArray<float>(length + 15, pinned: true);
        long misalignment = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) % 64;
        return array.AsMemory((int)((64 - misalignment) % 64 / sizeof(float)), length);
    }

    /// <summary>
    /// Asks for a row's cache lines ahead of its copy: a batch that is a view of the dataset's rows reads them from
    /// all over the dataset, a cache miss per line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Prefetch(SparseRow row)
    {
        if (!Sse.IsSupported) return;
        fixed (int* positions = row.Positions)
        fixed (float* values = row.Values)
            for (int i = 0; i < row.Positions.Length; i += 64 / sizeof(int))
            {
                Sse.Prefetch0(positions + i);
                Sse.Prefetch0(values + i);
            }
    }
}
