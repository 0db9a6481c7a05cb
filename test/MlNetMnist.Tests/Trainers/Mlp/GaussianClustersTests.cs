using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>Any IDataView with a key label and a float vector trains, not only MNIST.</summary>
[TestClass]
public sealed class GaussianClustersTests
{
    const int Classes = 5, FeatureCount = 20;

    sealed class Point
    {
        [KeyType(Classes)] public uint Label { get; set; }
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
    }

    static List<Point> Clusters(int rows, int seed)
    {
        var centres = new Random(42);
        var means = Enumerable.Range(0, Classes)
            .Select(_ => Enumerable.Range(0, FeatureCount).Select(_ => (float)(centres.NextDouble() * 6 - 3)).ToArray()).ToArray();
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(i =>
        {
            int c = i % Classes;
            return new Point
            {
                Label = (uint)c, // LoadFromEnumerable takes a [KeyType] uint as 0-based and stores it +1
                Features = means[c].Select(m => m + (float)Gaussian(random) * 0.5f).ToArray(),
            };
        }).ToList();
    }

    static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [TestMethod]
    public void Mlp_LearnsGaussianClusters_FromAnInMemoryDataView()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Clusters(2000, seed: 1));
        var test = ml.Data.LoadFromEnumerable(Clusters(500, seed: 2));

        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [16], Epochs = 5, BatchSize = 32, LearningRate = 0.1f }).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));

        Assert.IsGreaterThanOrEqualTo(0.99, metrics.MicroAccuracy, $"micro accuracy {metrics.MicroAccuracy}");
        Assert.AreEqual(Classes, model.Model.Network.ClassCount);
        CollectionAssert.AreEqual(new[] { FeatureCount, 16, Classes }, model.Model.Network.LayerSizes.ToArray());
    }

    [TestMethod]
    public void Mlp_TrainsOnIntegerLabels()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Clusters(1000, seed: 3).Select(p => new IntPoint { Label = (int)p.Label, Features = p.Features }));

        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [16], Epochs = 5, BatchSize = 32, LearningRate = 0.1f }).Fit(data);

        Assert.AreEqual(Classes, model.Model.Network.ClassCount);
        var scored = ml.Data.CreateEnumerable<IntScored>(model.Transform(data), reuseRowObject: false).ToList();
        double accuracy = scored.Count(s => s.PredictedLabel == (uint)s.Label + 1) / (double)scored.Count; // raw key k+1 is class k
        Assert.IsGreaterThanOrEqualTo(0.99, accuracy, $"accuracy {accuracy}");
    }

    sealed class IntPoint
    {
        public int Label { get; set; }
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
    }

    sealed class IntScored
    {
        public int Label { get; set; }
        public uint PredictedLabel { get; set; }
    }
}
