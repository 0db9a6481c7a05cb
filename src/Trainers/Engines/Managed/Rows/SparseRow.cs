namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>Rows of features as their nonzero values and ascending positions: stored (<see cref="SparseFeatures"/>) or shown (<see cref="SparseRowsView"/>).</summary>
public interface ISparseRows
{
    /// <summary>Values per dense row: every position is below it.</summary>
    int FeatureCount { get; }

    int Rows { get; }

    /// <summary>Row <paramref name="row"/>'s nonzero values and their positions.</summary>
    SparseRow Row(int row);
}

/// <summary>What every <see cref="ISparseRows"/> can do through its rows.</summary>
public static class SparseRowsExtensions
{
    /// <summary>Writes row <paramref name="row"/> out dense into <paramref name="destination"/> (<see cref="ISparseRows.FeatureCount"/> values).</summary>
    public static void CopyTo(this ISparseRows rows, int row, Span<float> destination)
    {
        destination = destination[..rows.FeatureCount];
        destination.Clear();
        var (positions, values) = rows.Row(row);
        for (int t = 0; t < positions.Length; t++) destination[positions[t]] = values[t];
    }
}

/// <summary>One row of <see cref="ISparseRows"/>: nonzero values and their ascending positions.</summary>
public readonly ref struct SparseRow(ReadOnlySpan<int> positions, ReadOnlySpan<float> values)
{
    public ReadOnlySpan<int> Positions { get; } = positions;

    public ReadOnlySpan<float> Values { get; } = values;

    public void Deconstruct(out ReadOnlySpan<int> positions, out ReadOnlySpan<float> values)
    {
        positions = Positions;
        values = Values;
    }
}
