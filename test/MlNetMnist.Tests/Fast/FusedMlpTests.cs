using MlNetMnist.DataViews;
using MlNetMnist.Tests.Nn;
using MlNetMnist.Trainers.Fast;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Fast;

/// <summary>The fused engine is the lesson's model, loss and SGD: it must step exactly as autograd and Sgd do.</summary>
[TestClass]
public sealed class FusedMlpTests
{
    static Batch RandomBatch(int size, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, size * features).Select(_ => (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, size).Select(_ => random.Next(classes)).ToArray();
        return new Batch(0, size, features, x, y);
    }

    [TestMethod]
    [DataRow(0f, 0f, 32)]
    [DataRow(0f, 0f, 7)]
    [DataRow(0.9f, 0f, 32)]
    [DataRow(0.9f, 0.01f, 19)]
    public void Steps_MatchAutogradAndSgd(float momentum, float weightDecay, int batchSize)
    {
        int[] sizes = [30, 16, 12, 5];
        using var fused = new FusedMlp(sizes, maxBatchSize: 32, learningRate: 0.3f, momentum, weightDecay, new Generator(3));
        using var model = Sequential.Mlp(sizes, new Generator(3));
        using var sgd = new Sgd(model.Parameters(), 0.3, momentum, weightDecay);
        var reference = new ModuleTrainable(model, Loss.CrossEntropy, sgd);

        for (int step = 0; step < 4; step++)
        {
            var batch = RandomBatch(batchSize, 30, 5, seed: step);
            double fusedLoss = fused.TrainBatch(batch);
            double referenceLoss = reference.TrainBatch(batch);
            Assert.AreEqual(referenceLoss, fusedLoss, 1e-5, $"loss at step {step}");
        }
        var network = fused.ToNetwork();
        var linears = model.Layers.OfType<Linear>().ToArray();
        for (int l = 0; l < linears.Length; l++)
        {
            TorchAssert.Close(linears[l].Weight.detach(), tensor(network.GetWeights(l), linears[l].Weight.shape), 1e-5, $"layer {l} weight");
            TorchAssert.Close(linears[l].Bias.detach(), tensor(network.GetBiases(l)), 1e-5, $"layer {l} bias");
        }
    }

    [TestMethod]
    public void Evaluate_MatchesTheModulesLossAndAccuracy()
    {
        int[] sizes = [30, 16, 5];
        using var fused = new FusedMlp(sizes, 64, 0.3f, generator: new Generator(4));
        using var model = Sequential.Mlp(sizes, new Generator(4));
        using var sgd = new Sgd(model.Parameters(), 0.3);
        var batch = RandomBatch(50, 30, 5, seed: 9);
        var (fusedLoss, fusedCorrect) = fused.EvaluateBatch(batch);
        var (loss, correct) = new ModuleTrainable(model, Loss.CrossEntropy, sgd).EvaluateBatch(batch);
        Assert.AreEqual(loss, fusedLoss, 1e-4);
        Assert.AreEqual(correct, fusedCorrect);
    }

    [TestMethod]
    public void SameSeed_BitIdenticalWeights_AfterManySteps()
    {
        float[] Train()
        {
            using var fused = new FusedMlp([30, 16, 5], 32, 0.3f, generator: new Generator(8));
            for (int step = 0; step < 50; step++) fused.TrainBatch(RandomBatch(32, 30, 5, seed: step));
            return fused.ToNetwork().GetWeights(0);
        }
        CollectionAssert.AreEqual(Train(), Train());
    }
}
