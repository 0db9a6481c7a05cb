using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;

[assembly: LoadableClass(typeof(ScalePixelsTransformer), null, typeof(SignatureLoadModel),
    "Scale pixels", ScalePixelsTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(ScalePixelsTransformer), null, typeof(SignatureLoadRowMapper),
    "Scale pixels", ScalePixelsTransformer.LoaderSignature)]

namespace MlNetMnist.DataViews;

/// <summary>
/// Maps a known-size Vector&lt;byte&gt; of pixels to a Vector&lt;float&gt; of the same size, each value / 255, so
/// that pixels lie in [0, 1] as in the lesson's data. Saves inside ML.NET's model zip like ML.NET's own transforms, and
/// exports to ONNX (Cast to float, Div by 255: the same IEEE division as the managed getter).
/// </summary>
public sealed class ScalePixelsTransformer : OneToOneTransformerBase
{
    internal const string LoaderSignature = "MlNetMnistScalePixels";

    /// <summary>The format this build writes.</summary>
    public const uint FormatVersion = 0x00010001;

    static VersionInfo GetVersionInfo() => new(
        modelSignature: "SCALEPIX",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: FormatVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(ScalePixelsTransformer).Assembly.FullName);

    internal ScalePixelsTransformer(IHostEnvironment env, string outputColumnName, string inputColumnName)
        : base(Contracts.CheckRef(env, nameof(env)).Register(nameof(ScalePixelsTransformer)), (outputColumnName, inputColumnName))
    {
    }

    ScalePixelsTransformer(IHost host, ModelLoadContext ctx) : base(host, ctx)
    {
    }

    /// <summary>The output column's name.</summary>
    public string OutputColumnName => ColumnPairs[0].outputColumnName;

    /// <summary>The input column's name.</summary>
    public string InputColumnName => ColumnPairs[0].inputColumnName;

    static ScalePixelsTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        var host = env.Register(nameof(ScalePixelsTransformer));
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new ScalePixelsTransformer(host, ctx);
    }

    static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema)
        => Create(env, ctx).MakeRowMapper(inputSchema);

    protected override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // *** Binary format ***: the column pair (OneToOneTransformerBase's layout), nothing else.
        SaveColumns(ctx);
    }

    protected override void CheckInputColumn(DataViewSchema inputSchema, int col, int srcCol)
    {
        var type = inputSchema[srcCol].Type;
        if (type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Byte)
            throw Host.ExceptSchemaMismatch(nameof(inputSchema), "input", ColumnPairs[col].inputColumnName,
                "known-size vector of Byte", type.ToString());
    }

    protected override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    sealed class Mapper(ScalePixelsTransformer parent, DataViewSchema inputSchema) : OneToOneMapperBase(parent.Host, parent, inputSchema), ISaveAsOnnx
    {
        public bool CanSaveOnnx(OnnxContext ctx) => true;

        public void SaveAsOnnx(OnnxContext ctx)
        {
            ctx.CheckOpSetVersion(7, nameof(ScalePixelsTransformer)); // Cast and a broadcasting Div
            if (!ctx.ContainsColumn(parent.InputColumnName))
                return; // the pixels are not in the graph: the converter reports the missing output
            string pixels = ctx.GetVariableName(parent.InputColumnName);
            int size = InputSchema[ColMapNewToOld[0]].Type.GetVectorSize();
            var floats = new VectorDataViewType(NumberDataViewType.Single, size);
            string cast = ctx.AddIntermediateVariable(floats, "ScalePixelsCast", true);
            ctx.CreateNode("Cast", pixels, cast, ctx.GetNodeName("Cast"), "").AddAttribute("to", typeof(float));
            string divisor = ctx.AddInitializer(255f, "ScalePixelsDivisor");
            string output = ctx.AddIntermediateVariable(floats, parent.OutputColumnName);
            ctx.CreateNode("Div", [cast, divisor], [output], ctx.GetNodeName("Div"), "");
        }

        protected override DataViewSchema.DetachedColumn[] GetOutputColumnsCore()
        {
            var input = InputSchema[ColMapNewToOld[0]];
            var annotations = new DataViewSchema.Annotations.Builder();
            annotations.Add(input.Annotations, name => name == AnnotationUtils.Kinds.SlotNames);
            var type = new VectorDataViewType(NumberDataViewType.Single, input.Type.GetVectorSize());
            return [new DataViewSchema.DetachedColumn(parent.OutputColumnName, type, annotations.ToAnnotations())];
        }

        protected override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer)
        {
            disposer = null!;
            var pixelsGetter = input.GetGetter<VBuffer<byte>>(input.Schema[ColMapNewToOld[iinfo]]);
            int size = input.Schema[ColMapNewToOld[iinfo]].Type.GetVectorSize();
            VBuffer<byte> pixels = default;
            return (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
            {
                pixelsGetter(ref pixels);
                var editor = VBufferEditor.Create(ref value, size);
                var values = pixels.GetValues();
                if (pixels.IsDense)
                    DivideBy255(values, editor.Values);
                else
                {
                    editor.Values.Clear();
                    var indices = pixels.GetIndices();
                    for (int i = 0; i < values.Length; i++) editor.Values[indices[i]] = values[i] / 255f;
                }
                value = editor.Commit();
            });
        }

        /// <summary>
        /// pixels[i] / 255f, the same IEEE division as one value at a time, 64 pixels a step: widened to floats (exactly)
        /// and divided in one pass over the row rather than a pass for each.
        /// </summary>
        static void DivideBy255(ReadOnlySpan<byte> pixels, Span<float> scaled)
        {
            ref byte source = ref MemoryMarshal.GetReference(pixels);
            ref float target = ref MemoryMarshal.GetReference(scaled);
            var divisor = Vector512.Create(255f);
            int i = 0;
            for (; i <= pixels.Length - Vector512<byte>.Count; i += Vector512<byte>.Count)
            {
                var (low, high) = Vector512.Widen(Vector512.LoadUnsafe(ref source, (nuint)i));
                var (a, b) = Vector512.Widen(low);
                var (c, d) = Vector512.Widen(high);
                (Vector512.ConvertToSingle(a) / divisor).StoreUnsafe(ref target, (nuint)i);
                (Vector512.ConvertToSingle(b) / divisor).StoreUnsafe(ref target, (nuint)(i + 16));
                (Vector512.ConvertToSingle(c) / divisor).StoreUnsafe(ref target, (nuint)(i + 32));
                (Vector512.ConvertToSingle(d) / divisor).StoreUnsafe(ref target, (nuint)(i + 48));
            }
            for (; i < pixels.Length; i++) scaled[i] = pixels[i] / 255f;
        }
    }
}
