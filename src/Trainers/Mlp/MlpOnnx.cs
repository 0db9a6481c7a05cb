using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// Writes an <see cref="MlpNetwork"/> into ML.NET's ONNX export: Gemm (+ Relu) per layer; for a multiclass model Softmax for Score, and the
/// key-typed PredictedLabel as ML.NET's own multiclass models write it (ArgMax + 1, cast to UINT32: key 1 is class 0).
/// </summary>
internal static class MlpOnnx
{
    /// <summary>Gemm's transB, Relu, Softmax over axis 1, ArgMax, IsNaN and Where are all in opset 9, ML.NET's lowest.</summary>
    public const int MinimumOpSet = 9;

    /// <param name="ctx">The graph being built.</param>
    /// <param name="network">The trained layers.</param>
    /// <param name="outputs">The scorer's names: PredictedLabel, then Score.</param>
    /// <param name="features">The graph variable holding the features, a [N x InputSize] float tensor.</param>
    public static bool Save(OnnxContext ctx, MlpNetwork network, string[] outputs, string features)
    {
        ctx.CheckOpSetVersion(MinimumOpSet, "MlNetMnist MLP");
        if (outputs.Length != 2)
            return false; // a multiclass scorer always asks for both; anything else is not ours to guess

        string input = Layers(ctx, network, features, lastOutput: null);

        // ONNX Softmax subtracts the row's maximum, like the managed scorer: stable for any finite logits.
        string score = outputs[1];
        var softmax = ctx.CreateNode("Softmax", input, score, ctx.GetNodeName("Softmax"), "");
        softmax.AddAttribute("axis", 1L);

        // The scorer's PredictedLabel is the first index of the largest probability, plus one (key 0 means missing).
        string argMax = ctx.AddIntermediateVariable(NumberDataViewType.Int64, "MlpArgMax", true);
        var argMaxNode = ctx.CreateNode("ArgMax", score, argMax, ctx.GetNodeName("ArgMax"), "");
        argMaxNode.AddAttribute("axis", 1L);
        argMaxNode.AddAttribute("keepdims", 1L);
        string one = ctx.AddInitializer(1L, "MlpOne");
        string key = ctx.AddIntermediateVariable(NumberDataViewType.Int64, "MlpKey", true);
        ctx.CreateNode("Add", [argMax, one], [key], ctx.GetNodeName("Add"), "");

        // A non-finite feature makes every probability of its row NaN; ML.NET then gives key 0 (missing), not a class.
        string isNaN = ctx.AddIntermediateVariable(BooleanDataViewType.Instance, "MlpIsNaN", true);
        ctx.CreateNode("IsNaN", score, isNaN, ctx.GetNodeName("IsNaN"), "");
        string nanFloat = ctx.AddIntermediateVariable(NumberDataViewType.Single, "MlpIsNaNFloat", true);
        ctx.CreateNode("Cast", isNaN, nanFloat, ctx.GetNodeName("Cast"), "").AddAttribute("to", typeof(float));
        string nanRow = ctx.AddIntermediateVariable(NumberDataViewType.Single, "MlpNaNRow", true);
        var anyNaN = ctx.CreateNode("ReduceMax", nanFloat, nanRow, ctx.GetNodeName("ReduceMax"), "");
        anyNaN.AddAttribute("axes", new long[] { 1 });
        anyNaN.AddAttribute("keepdims", 1L);
        string nanBool = ctx.AddIntermediateVariable(BooleanDataViewType.Instance, "MlpNaNRowBool", true);
        ctx.CreateNode("Cast", nanRow, nanBool, ctx.GetNodeName("Cast"), "").AddAttribute("to", typeof(bool));
        string missing = ctx.AddInitializer(0L, "MlpMissingKey");
        string keyOrMissing = ctx.AddIntermediateVariable(NumberDataViewType.Int64, "MlpKeyOrMissing", true);
        ctx.CreateNode("Where", [nanBool, missing, key], [keyOrMissing], ctx.GetNodeName("Where"), "");
        var cast = ctx.CreateNode("Cast", keyOrMissing, outputs[0], ctx.GetNodeName("Cast"), "");
        cast.AddAttribute("to", typeof(uint));
        return true;
    }

    /// <summary>
    /// A regression's or binary classifier's Score: the layers alone, the last Gemm writing <paramref name="outputs"/>[0]
    /// as [N x 1] (ML.NET's calibrator, for a binary model, then adds the Probability).
    /// </summary>
    public static bool SaveScore(OnnxContext ctx, MlpNetwork network, string[] outputs, string features)
    {
        ctx.CheckOpSetVersion(MinimumOpSet, "MlNetMnist MLP");
        if (outputs.Length < 1) return false;
        Layers(ctx, network, features, lastOutput: outputs[0]);
        return true;
    }

    /// <summary>Gemm (+ Relu between layers) per layer from <paramref name="features"/>; the last Gemm writes <paramref name="lastOutput"/> when given. Returns the last output's name.</summary>
    static string Layers(OnnxContext ctx, MlpNetwork network, string features, string? lastOutput)
    {
        string input = features;
        for (int l = 0; l < network.LayerCount; l++)
        {
            int inSize = network.LayerSizes[l], outSize = network.LayerSizes[l + 1];
            // Linear.weight is [out x in] row-major: Gemm with transB computes x W^T + b, as PyTorch's Linear does.
            string weight = ctx.AddInitializer(network.GetWeights(l), [outSize, inSize], $"MlpWeight{l}");
            string bias = ctx.AddInitializer(network.GetBiases(l), [outSize], $"MlpBias{l}");
            bool last = l == network.LayerCount - 1;
            string linear = last && lastOutput is not null ? lastOutput : ctx.AddIntermediateVariable(Floats(outSize), $"MlpLinear{l}");
            var gemm = ctx.CreateNode("Gemm", [input, weight, bias], [linear], ctx.GetNodeName("Gemm"), "");
            gemm.AddAttribute("transB", 1L);
            input = linear;
            if (!last)
            {
                string relu = ctx.AddIntermediateVariable(Floats(outSize), $"MlpRelu{l}");
                ctx.CreateNode("Relu", input, relu, ctx.GetNodeName("Relu"), "");
                input = relu;
            }
        }
        return input;
    }

    static VectorDataViewType Floats(int size) => new(NumberDataViewType.Single, size);
}
