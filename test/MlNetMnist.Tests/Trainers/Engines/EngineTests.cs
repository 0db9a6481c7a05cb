using MlNetMnist.DataViews;
using MlNetMnist.Tests.Trainers.TorchSharp;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Models;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.Engines;

/// <summary>Every engine is the lesson's model, loss and SGD: it must step exactly as the lesson's modules, autograd and Sgd do.</summary>
[TestClass]
public sealed class EngineTests
{
    static MlpEngine Engine(string name) => MlpEngines.Available.Single(e => e.Name == name);


    [TestMethod]
    [DataRow("Managed", 0f, 0f, 32)]
    [DataRow("Managed", 0f, 0f, 7)]
    [DataRow("Managed", 0.9f, 0f, 32)]
    [DataRow("Managed", 0.9f, 0.01f, 19)]
    [DataRow("Managed", 0f, 0f, 150)]      // split between the managed engine's threads
    [DataRow("Managed", 0.9f, 0.01f, 131)]
    public void Steps_MatchAutogradAndSgd(string engine, float momentum, float weightDecay, int batchSize)
    {
        // 150 inputs: two blocks of weight rows, the second partial; 70 hidden units: four whole 16-float
        // vectors and a tail; 12 and 5: tails only.
        int[] sizes = [150, 70, 12, 5];
        var initial = LinearInit.Mlp(sizes, seed: 3);
        using var fast = Engine(engine).Create(initial, MlpOptimizer.Sgd(momentum, weightDecay), 0.3f);
        using var model = Sequential.Mlp(initial);
        using var sgd = new Sgd(model.Parameters(), 0.3, momentum, weightDecay);
        var reference = new ModuleTrainable(model, Loss.CrossEntropy, sgd);

        for (int step = 0; step < 4; step++)
        {
            var batch = TestData.RandomBatch(batchSize, 150, 5, seed: step);
            double fastLoss = fast.TrainBatch(batch);
            double referenceLoss = reference.TrainBatch(batch);
            Assert.AreEqual(referenceLoss, fastLoss, 1e-5, $"loss at step {step}");
        }
        var network = fast.ToNetwork();
        var linears = model.Layers.OfType<Linear>().ToArray();
        for (int l = 0; l < linears.Length; l++)
        {
            TorchAssert.Close(linears[l].Weight.detach(), tensor(network.GetWeights(l), linears[l].Weight.shape), 1e-5, $"layer {l} weight");
            TorchAssert.Close(linears[l].Bias.detach(), tensor(network.GetBiases(l)), 1e-5, $"layer {l} bias");
        }
    }

    [TestMethod]
    [DataRow("Managed")]
    public void Evaluate_MatchesTheModulesLossAndAccuracy(string engine)
    {
        int[] sizes = [30, 16, 5];
        var initial = LinearInit.Mlp(sizes, seed: 4);
        using var fast = Engine(engine).Create(initial, MlpOptimizer.Sgd(), 0.3f);
        using var model = Sequential.Mlp(initial);
        using var sgd = new Sgd(model.Parameters(), 0.3);
        var batch = TestData.RandomBatch(50, 30, 5, seed: 9);
        var (fastLoss, fastCorrect) = fast.EvaluateBatch(batch);
        var (loss, correct) = new ModuleTrainable(model, Loss.CrossEntropy, sgd).EvaluateBatch(batch);
        Assert.AreEqual(loss, fastLoss, 1e-4);
        Assert.AreEqual(correct, fastCorrect);
    }

    [TestMethod]
    [DataRow("Managed", 32)]
    [DataRow("Managed", 200)] // split between threads: each thread's rows and the order of the sum are fixed
    public void SameSeed_BitIdenticalWeights_AfterManySteps(string engine, int batchSize)
    {
        float[] Train()
        {
            using var fast = Engine(engine).Create([30, 16, 5], seed: 8, MlpOptimizer.Sgd(), 0.3f);
            for (int step = 0; step < 50; step++) fast.TrainBatch(TestData.RandomBatch(batchSize, 30, 5, seed: step));
            return fast.ToNetwork().GetWeights(0);
        }
        CollectionAssert.AreEqual(Train(), Train());
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void ManagedThreads_SplitLargeBatches_AsOneThreadComputesThem(int threads)
    {
        // Summed in another order, so equal to float rounding; evaluation splits rows only, so exactly equal.
        var initial = LinearInit.Mlp([60, 20, 4], seed: 2);
        using var one = new ManagedMlp(initial, MlpOptimizer.Sgd(momentum: 0.5f), 0.3f, threads: 1);
        using var team = new ManagedMlp(initial, MlpOptimizer.Sgd(momentum: 0.5f), 0.3f, threads: threads);
        Assert.AreEqual(threads, team.Threads);
        for (int step = 0; step < 5; step++)
        {
            var batch = TestData.RandomBatch(257, 60, 4, seed: step);
            Assert.AreEqual(one.TrainBatch(batch), team.TrainBatch(batch), 1e-6, $"loss at step {step}");
        }
        var valid = TestData.RandomBatch(300, 60, 4, seed: 77);
        var (oneLoss, oneCorrect) = one.EvaluateBatch(valid);
        var (teamLoss, teamCorrect) = team.EvaluateBatch(valid);
        Assert.AreEqual(oneCorrect, teamCorrect);
        Assert.AreEqual(oneLoss, teamLoss, 1e-4);
        var a = one.ToNetwork();
        var b = team.ToNetwork();
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < a.GetWeights(l).Length; i++)
                Assert.AreEqual(a.GetWeights(l)[i], b.GetWeights(l)[i], 1e-6, $"layer {l} weight {i}");
    }

    /// <summary>
    /// A small batch with layers of 32k weights or more: the team splits those layers' input rows (forward, gradient
    /// and step), which reorders only the forward's sums. Adam and SGD with momentum; plain SGD stays on one thread.
    /// </summary>
    [TestMethod]
    [DataRow(2, "adam")]
    [DataRow(3, "adam")]
    [DataRow(2, "sgd")]
    public void ManagedThreads_ShareWideLayersOfSmallBatches_AsOneThreadComputesThem(int threads, string kind)
    {
        // 400 x 112 and 100 x 336 weights: both hidden layers shared; 330 x 16: not.
        var initial = LinearInit.Mlp([400, 100, 330, 5], seed: 6);
        var optimizer = kind == "adam" ? MlpOptimizer.Adam() : MlpOptimizer.Sgd(momentum: 0.9f, weightDecay: 0.01f);
        using var one = new ManagedMlp(initial, optimizer, 0.01f, threads: 1);
        using var team = new ManagedMlp(initial, optimizer, 0.01f, threads: threads);
        for (int step = 0; step < 5; step++)
        {
            var batch = TestData.RandomBatch(32, 400, 5, seed: step);
            Assert.AreEqual(one.TrainBatch(batch), team.TrainBatch(batch), 1e-6, $"loss at step {step}");
        }
        // Adam moves a weight by about lr whatever its gradient's size, so a rounding in a near-zero gradient can
        // move it by a share of lr (here up to 3e-5); a row stepped wrongly or twice would move it by whole steps.
        double tolerance = kind == "adam" ? 1e-4 : 1e-5;
        var a = one.ToNetwork();
        var b = team.ToNetwork();
        for (int l = 0; l < 3; l++)
        {
            for (int i = 0; i < a.GetWeights(l).Length; i++)
                Assert.AreEqual(a.GetWeights(l)[i], b.GetWeights(l)[i], tolerance, $"layer {l} weight {i}");
            for (int i = 0; i < a.GetBiases(l).Length; i++)
                Assert.AreEqual(a.GetBiases(l)[i], b.GetBiases(l)[i], tolerance, $"layer {l} bias {i}");
        }
    }

    [TestMethod]
    public void ManagedThreads_StopOnDispose()
    {
        var before = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
        for (int i = 0; i < 20; i++)
        {
            using var mlp = new ManagedMlp(LinearInit.Mlp([10, 4, 2], seed: 1), MlpOptimizer.Sgd(), 0.1f, threads: 3);
            mlp.TrainBatch(TestData.RandomBatch(200, 10, 2, seed: i));
        }
        Assert.IsLessThan(before + 10, System.Diagnostics.Process.GetCurrentProcess().Threads.Count, "helper threads outlived their models");
    }

    /// <summary>The same rows as a sparse batch.</summary>
    static Batch Sparse(Batch dense)
    {
        var sparse = new SparseFeatures(dense.FeatureCount);
        for (int r = 0; r < dense.Size; r++) sparse.AppendDense(dense.Features.Span.Slice(r * dense.FeatureCount, dense.FeatureCount));
        return new SparseBatch(dense.Index, sparse, dense.Labels);
    }

    [TestMethod]
    [DataRow("Managed")]
    [DataRow("Autograd")]
    public void SparseBatches_TrainExactlyAsDenseOnes(string engine)
    {
        (float[] Weights, double Loss, double Correct) Train(bool sparse)
        {
            using var mlp = Engine(engine).Create([150, 40, 5], seed: 6, MlpOptimizer.Sgd(), 0.3f);
            for (int step = 0; step < 10; step++)
            {
                var batch = TestData.RandomBatch(32, 150, 5, seed: step);
                mlp.TrainBatch(sparse ? Sparse(batch) : batch);
            }
            var valid = TestData.RandomBatch(20, 150, 5, seed: 99);
            var (loss, correct) = mlp.EvaluateBatch(sparse ? Sparse(valid) : valid);
            return (mlp.ToNetwork().GetWeights(0), loss, correct);
        }
        var dense = Train(false);
        var sparse = Train(true);
        CollectionAssert.AreEqual(dense.Weights, sparse.Weights);
        Assert.AreEqual(dense.Loss, sparse.Loss);
        Assert.AreEqual(dense.Correct, sparse.Correct);
    }
}
