using System.Runtime.CompilerServices;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>Working memory for batches of up to <see cref="Rows"/> rows, kept between steps.</summary>
internal sealed class Scratch
{
    readonly ManagedLayer[] _layers;
    readonly Memory<float>[] _outputs;   // layer l: [rows x width]: pre-activations; logits for the last
    readonly Memory<float>[] _gradients; // layer l: d loss / d pre-activation, [rows x width]

    /// <summary>
    /// Floats of a member's gradient tile: 256 KB, which a core's L2 holds while the tile is summed and stepped. A
    /// 32 KB tile (L1-sized) measured about 10% slower a step at 784-256-10, batch 32: each batch row then adds only a
    /// few entries per call, and the calls cost more than the cache misses they save.
    /// </summary>
    const int TileFloats = 64 * 1024;

    readonly Memory<float>[] _tiles; // per member
    readonly int[][] _cursors, _ends; // per member: for each row, where its entries of the current weight rows start and end
    readonly Memory<float>[] _partials; // per member but the first: its part of a layer's pre-activations, [rows x width]

    public Scratch(int rows, ManagedLayer[] layers, int members)
    {
        Rows = rows;
        _layers = layers;
        _outputs = layers.Select(layer => AlignedMemory.Floats(rows * layer.Width)).ToArray();
        // The last layer's gradient is computed in place of its logits.
        _gradients = layers.Select((layer, l) => l == layers.Length - 1 ? _outputs[l] : AlignedMemory.Floats(rows * layer.Width)).ToArray();
        Inputs = layers.Select(layer => new SparseRows(rows, layer.In)).ToArray();
        RowLoss = new double[rows];
        int tile = Math.Max(TileFloats, layers.Max(layer => layer.Width));
        _tiles = Enumerable.Range(0, members).Select(_ => AlignedMemory.Floats(tile)).ToArray();
        _cursors = Enumerable.Range(0, members).Select(_ => new int[rows]).ToArray();
        _ends = Enumerable.Range(0, members).Select(_ => new int[rows]).ToArray();
        _partials = Enumerable.Range(0, members).Select(m => m == 0 ? default : AlignedMemory.Floats(rows * layers.Max(layer => layer.Width))).ToArray();
    }

    /// <summary>Member <paramref name="member"/>'s (not the first's) part of a layer's pre-activations: the sum over its share of the inputs.</summary>
    public Span<float> Partial(int member) => _partials[member].Span;

    /// <summary>
    /// Member <paramref name="member"/>'s room for the gradient of a few weight rows at a time (at least one row of
    /// any layer), and its row cursors (<see cref="Kernels.AddWeightGradientRows"/>).
    /// </summary>
    public (Memory<float> Tile, int[] Cursors, int[] Ends) Tile(int member) => (_tiles[member], _cursors[member], _ends[member]);

    /// <summary>Each row's weighted loss, written by whichever thread has the row.</summary>
    public double[] RowLoss { get; }

    public double LossSum(int rows)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += RowLoss[r];
        return sum;
    }

    public int Rows { get; }

    /// <summary>Layer l's input rows, sparse: the batch's features for the first, the ReLU of the layer below after.</summary>
    public SparseRows[] Inputs { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Outputs(int layer) => _outputs[layer].Span;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Logits(int row) => _outputs[^1].Span.Slice(row * _layers[^1].Width, _layers[^1].Out);

    /// <summary>Row <paramref name="row"/>'s logits with the padding to the layer's width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> PaddedLogits(int row) => _outputs[^1].Span.Slice(row * _layers[^1].Width, _layers[^1].Width);

    /// <summary>Row <paramref name="row"/>'s pre-activations in layer <paramref name="layer"/>, padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Output(int layer, int row) => _outputs[layer].Span.Slice(row * _layers[layer].Width, _layers[layer].Width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Gradients(int layer) => _gradients[layer].Span;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<float> Gradient(int layer, int row) => _gradients[layer].Span.Slice(row * _layers[layer].Width, _layers[layer].Width);
}
