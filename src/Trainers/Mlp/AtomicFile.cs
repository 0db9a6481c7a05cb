namespace MlNetMnist.Trainers;

/// <summary>
/// Replaces a file whole: the bytes go to a temporary sibling (same folder, so the rename stays on one file system),
/// are flushed to disk, and the sibling is renamed over the target. A reader, or a process killed at any instant, sees
/// the old file or the new one, never a mix; a killed writer leaves at most a stale ".NAME.*.tmp" sibling.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $"{TempPrefix(full)}{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Deletes the temporary siblings that writers of <paramref name="path"/> killed mid-write left behind.</summary>
    public static void DeleteStale(string path)
    {
        string full = Path.GetFullPath(path);
        foreach (string stale in Directory.EnumerateFiles(Path.GetDirectoryName(full)!, $"{TempPrefix(full)}*.tmp"))
            File.Delete(stale);
    }

    static string TempPrefix(string full) => $".{Path.GetFileName(full)}.";
}
