using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Tests.Trainers.TorchSharp;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Models;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.Engines;

/// <summary>Every engine's Adam and AdamW, and its steps under a schedule, against TorchSharp's torch.optim and lr_scheduler, step for step.</summary>
[TestClass]
public sealed class OptimizerTests
{
    static MlpEngine Engine(string name) => MlpEngines.Available.Single(e => e.Name == name);


    static TorchOptimizer Torch((MlpOptimizer Optimizer, float LearningRate) settings, Sequential model)
    {
        var (o, lr) = settings;
        return new(o.Kind switch
        {
            // The float settings as the doubles our engines compute their scalars from.
            OptimizerKind.Adam => optim.Adam(model.Parameters(), lr, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
            OptimizerKind.AdamW => optim.AdamW(model.Parameters(), lr, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
            _ => optim.SGD(model.Parameters(), lr, o.Momentum, weight_decay: o.WeightDecay),
        });
    }

    static void AssertSameWeights(ITrainableMlp ours, Sequential reference, double tolerance, string when)
    {
        var network = ours.ToNetwork();
        var linears = reference.Layers.OfType<Linear>().ToArray();
        for (int l = 0; l < linears.Length; l++)
        {
            TorchAssert.Close(linears[l].Weight.detach(), tensor(network.GetWeights(l), linears[l].Weight.shape), tolerance, $"{when}: layer {l} weight");
            TorchAssert.Close(linears[l].Bias.detach(), tensor(network.GetBiases(l)), tolerance, $"{when}: layer {l} bias");
        }
    }

    public static IEnumerable<object[]> Optimizers =>
    [
        ["Managed", "adam", 0f, 32],
        ["Managed", "adam", 0.01f, 19],
        ["Managed", "adam", 0.01f, 150], // split between the managed engine's threads
        ["Managed", "adamw", 0.05f, 32],
        ["Managed", "adamw", 0.05f, 131],
        ["Managed", "adam", 0.01f, 32, 600],  // 48,000 weights: the layer's input rows shared between the threads
        ["Managed", "sgd", 0.01f, 32, 600],
        ["Autograd", "adam", 0.01f, 32],
        ["Autograd", "adamw", 0.05f, 32],
    ];

    static (MlpOptimizer Optimizer, float LearningRate) Make(string kind, float weightDecay) => kind switch
    {
        "adam" => (MlpOptimizer.Adam(weightDecay: weightDecay), 0.01f),
        "sgd" => (MlpOptimizer.Sgd(0.9f, weightDecay), 0.1f),
        _ => (MlpOptimizer.AdamW(weightDecay: weightDecay), 0.01f),
    };

    [TestMethod]
    [DynamicData(nameof(Optimizers))]
    public void AdamSteps_MatchTorchOptim(string engine, string kind, float weightDecay, int batchSize, int features = 150)
    {
        int[] sizes = [features, 70, 12, 5];
        var initial = LinearInit.Mlp(sizes, seed: 3);
        var settings = Make(kind, weightDecay);
        using var ours = Engine(engine).Create(initial, settings.Optimizer, settings.LearningRate);
        using var model = Sequential.Mlp(initial);
        using var torchOptimizer = Torch(settings, model);
        var reference = new ModuleTrainable(model, Loss.CrossEntropy, torchOptimizer);
        for (int step = 0; step < 6; step++)
        {
            var batch = TestData.RandomBatch(batchSize, features, 5, seed: step);
            Assert.AreEqual(reference.TrainBatch(batch), ours.TrainBatch(batch), 1e-5, $"loss at step {step}");
        }
        AssertSameWeights(ours, model, 2e-5, "after 6 steps");
    }

    [TestMethod]
    [DataRow("Managed", "adam")]
    [DataRow("Managed", "sgd")]
    [DataRow("Autograd", "adamw")]
    [DataRow("Autograd", "sgd")]
    public void OneCycleSteps_MatchTorchOneCycleLR(string engine, string kind)
    {
        // OneCycleLR sets the rate and momentum (Adam's β1) before each step; ours takes them from the schedule.
        int[] sizes = [40, 24, 5];
        var initial = LinearInit.Mlp(sizes, seed: 5);
        var settings = kind == "sgd" ? (Optimizer: MlpOptimizer.Sgd(0.9f), LearningRate: 0.2f) : Make(kind, 0.01f);
        const int total = 12;
        var schedule = new OneCycleSchedule();
        using var ours = Engine(engine).Create(initial, settings.Optimizer, settings.LearningRate);
        using var model = Sequential.Mlp(initial);
        using var torchOptimizer = Torch(settings, model);
        var scheduler = optim.lr_scheduler.OneCycleLR(torchOptimizer.Inner, settings.LearningRate, total_steps: total);
        var reference = new ModuleTrainable(model, Loss.CrossEntropy, torchOptimizer);
        for (int step = 0; step < total; step++)
        {
            var (lr, momentum) = schedule.At(step, total, settings.LearningRate, settings.Optimizer.Momentum);
            Assert.AreEqual(torchOptimizer.LearningRate, lr, 1e-12 * settings.LearningRate, $"rate at step {step}");
            Assert.AreEqual(torchOptimizer.Momentum, momentum, 1e-12, $"momentum at step {step}");
            (ours.LearningRate, ours.Momentum) = ((float)lr, (float)momentum);
            // torch reads the double; ours the float: give torch the float too, so both step alike.
            (torchOptimizer.LearningRate, torchOptimizer.Momentum) = ((float)lr, (float)momentum);
            var batch = TestData.RandomBatch(16, 40, 5, seed: step);
            Assert.AreEqual(reference.TrainBatch(batch), ours.TrainBatch(batch), 1e-5, $"loss at step {step}");
            scheduler.step();
        }
        AssertSameWeights(ours, model, 2e-5, $"after {total} steps");
    }

    [TestMethod]
    [DataRow(10, 0.3)]
    [DataRow(1000, 0.25)]
    [DataRow(7, 0.5)]
    public void OneCycle_MatchesTorchOneCycleLR_EveryStep(int total, double pctStart)
    {
        using var p = new global::TorchSharp.Modules.Parameter(zeros(3));
        using var adam = new TorchOptimizer(optim.Adam([p], 0.003));
        var scheduler = optim.lr_scheduler.OneCycleLR(adam.Inner, 0.003, total_steps: total, pct_start: pctStart);
        var schedule = new OneCycleSchedule(PctStart: pctStart);
        for (int step = 0; step < total; step++)
        {
            var (lr, beta1) = schedule.At(step, total, 0.003, 0.9);
            Assert.AreEqual(adam.LearningRate, lr, 1e-15, $"rate at step {step}");
            Assert.AreEqual(adam.Momentum, beta1, 1e-15, $"β1 at step {step}");
            scheduler.step();
        }
    }

    [TestMethod]
    public void Cosine_MatchesTorchCosineAnnealingLR_EveryStep()
    {
        const int total = 500;
        using var p = new global::TorchSharp.Modules.Parameter(zeros(3));
        using var sgd = new TorchOptimizer(optim.SGD([p], 0.1, 0.9));
        var scheduler = optim.lr_scheduler.CosineAnnealingLR(sgd.Inner, total, eta_min: 0.001);
        var schedule = new CosineSchedule(MinLearningRate: 0.001);
        for (int step = 0; step < total; step++)
        {
            var (lr, momentum) = schedule.At(step, total, 0.1, 0.9);
            Assert.AreEqual(sgd.LearningRate, lr, 1e-12, $"rate at step {step}");
            Assert.AreEqual(0.9, momentum);
            scheduler.step();
        }
    }

    [TestMethod]
    public void OursAdam_MatchesTorchOptimAdam()
    {
        // The add-on's hand-written Adam, as the lesson's Sgd is checked against optim.SGD.
        var initial = LinearInit.Mlp([20, 8, 3], seed: 1);
        foreach (bool decoupled in new[] { false, true })
        {
            using var a = Sequential.Mlp(initial);
            using var b = Sequential.Mlp(initial);
            using var ours = new Adam(a.Parameters(), 0.01, 0.8, 0.99, 1e-6, 0.05, decoupled);
            using var theirs = new TorchOptimizer(decoupled ? optim.AdamW(b.Parameters(), 0.01, 0.8, 0.99, 1e-6, 0.05) : optim.Adam(b.Parameters(), 0.01, 0.8, 0.99, 1e-6, 0.05));
            var (left, right) = (new ModuleTrainable(a, Loss.CrossEntropy, ours), new ModuleTrainable(b, Loss.CrossEntropy, theirs));
            for (int step = 0; step < 5; step++)
            {
                var batch = TestData.RandomBatch(10, 20, 3, seed: step);
                Assert.AreEqual(right.TrainBatch(batch), left.TrainBatch(batch), 1e-6);
            }
            var (la, lb) = (a.Layers.OfType<Linear>().ToArray(), b.Layers.OfType<Linear>().ToArray());
            for (int l = 0; l < la.Length; l++) TorchAssert.Close(lb[l].Weight.detach(), la[l].Weight.detach(), 1e-6, $"decoupled {decoupled}, layer {l}");
        }
    }

    [TestMethod]
    [DataRow("Managed", "adam")]
    [DataRow("Managed", "sgd")]
    [DataRow("Autograd", "adamw")]
    [DataRow("Autograd", "sgd")]
    public void ExportedState_ContinuesAsIfNeverStopped(string engine, string kind)
    {
        var initial = LinearInit.Mlp([30, 16, 5], seed: 2);
        var settings = kind == "sgd" ? (Optimizer: MlpOptimizer.Sgd(0.9f, 0.01f), LearningRate: 0.1f) : Make(kind, 0.01f);
        using var straight = Engine(engine).Create(initial, settings.Optimizer, settings.LearningRate);
        using var first = Engine(engine).Create(initial, settings.Optimizer, settings.LearningRate);
        for (int step = 0; step < 4; step++)
        {
            straight.TrainBatch(TestData.RandomBatch(20, 30, 5, step));
            first.TrainBatch(TestData.RandomBatch(20, 30, 5, step));
        }
        var state = first.ExportState();
        Assert.AreEqual(4L, state.Steps);
        Assert.AreEqual(2 * 2 * settings.Optimizer.MomentCount, state.Moments.Count);
        using var second = Engine(engine).Create(first.ToNetwork(), settings.Optimizer, settings.LearningRate, state);
        for (int step = 4; step < 8; step++)
        {
            straight.TrainBatch(TestData.RandomBatch(20, 30, 5, step));
            second.TrainBatch(TestData.RandomBatch(20, 30, 5, step));
        }
        CollectionAssert.AreEqual(straight.ToNetwork().GetWeights(0), second.ToNetwork().GetWeights(0));
        CollectionAssert.AreEqual(straight.ToNetwork().GetBiases(1), second.ToNetwork().GetBiases(1));
    }

    [TestMethod]
    public void State_OfAnotherShape_IsRefusedByName()
    {
        using var a = Engine("Managed").Create([30, 16, 5], seed: 1, MlpOptimizer.Adam(), 0.001f);
        a.TrainBatch(TestData.RandomBatch(20, 30, 5, 0));
        var e = Assert.ThrowsExactly<ArgumentException>(() => Engine("Managed").Create(LinearInit.Mlp([30, 8, 5], 1), MlpOptimizer.Adam(), 0.001f, a.ExportState()).Dispose());
        StringAssert.Contains(e.Message, "layer 0");
        var kind = Assert.ThrowsExactly<ArgumentException>(() => Engine("Managed").Create(LinearInit.Mlp([30, 16, 5], 1), MlpOptimizer.Sgd(0.9f), 0.1f, a.ExportState()).Dispose());
        StringAssert.Contains(kind.Message, "Adam");
    }

    [TestMethod]
    public void BadOptimizerSettings_AreNamedWithTheirValue_InTheFirstLine()
    {
        var ml = new Microsoft.ML.MLContext(1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Optimizer = MlpOptimizer.Adam(beta2: 1f), LearningRate = 0.001f }));
        Assert.AreEqual("Optimizer Beta2 must be in [0, 1), got 1.", e.Message.Split('\n')[0].Split(" (Parameter")[0]);
        var schedule = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Schedule = new OneCycleSchedule(PctStart: 1.5) }));
        StringAssert.Contains(schedule.Message, "PctStart");
    }
}
