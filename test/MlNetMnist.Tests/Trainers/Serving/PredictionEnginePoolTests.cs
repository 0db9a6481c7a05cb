using Microsoft.Extensions.DependencyInjection;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Serving;

namespace MlNetMnist.Tests.Trainers.Serving;

[TestClass]
public sealed class PredictionEnginePoolTests
{
    TempDirectory _dir = null!;
    string _served = null!;

    [TestInitialize]
    public void CopyTheModel()
    {
        _dir = TestData.TempDirectory();
        _served = _dir.File("served.zip");
        File.Copy(ServingModels.First, _served);
    }

    [TestCleanup]
    public void Cleanup() => _dir.Dispose();

    static void Replace(string source, string target)
    {
        File.Copy(source, target + ".new", overwrite: true);
        File.Move(target + ".new", target, overwrite: true);
    }

    [TestMethod]
    public void ManyThreadsAtOnce_GetWhatOneEngineSays()
    {
        var expected = ServingModels.Offline(ServingModels.First);
        using var pool = new PredictionEnginePool<Digit, DigitPrediction>(new PredictionEnginePoolOptions { ModelPath = _served });
        var answers = new DigitPrediction[ServingModels.Test.Length];
        Parallel.For(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => answers[i] = pool.Predict(ServingModels.Test[i]));
        for (int i = 0; i < answers.Length; i++)
        {
            Assert.AreEqual(expected[i].PredictedDigit, answers[i].PredictedDigit, $"row {i}");
            CollectionAssert.AreEqual(expected[i].Score, answers[i].Score, $"row {i}");
        }
    }

    [TestMethod]
    public void Reload_AfterTheFileIsReplaced_ServesTheNewModel()
    {
        using var pool = new PredictionEnginePool<Digit, DigitPrediction>(new PredictionEnginePoolOptions { ModelPath = _served });
        string before = pool.Current.Id;
        Assert.IsFalse(pool.Reload(), "same bytes: nothing to swap");
        Replace(ServingModels.Second, _served);
        Assert.IsTrue(pool.Reload());
        Assert.AreNotEqual(before, pool.Current.Id);
        var expected = ServingModels.Offline(ServingModels.Second);
        CollectionAssert.AreEqual(expected[0].Score, pool.Predict(ServingModels.Test[0]).Score);
    }

    [TestMethod]
    public void DamagedReplacement_IsRefused_AndTheOldModelKeepsServing()
    {
        using var pool = new PredictionEnginePool<Digit, DigitPrediction>(new PredictionEnginePoolOptions { ModelPath = _served });
        string before = pool.Current.Id;
        Exception? refused = null;
        pool.ReloadFailed += e => refused = e;
        var zip = File.ReadAllBytes(_served);
        File.WriteAllBytes(_served, zip[..(zip.Length / 2)]); // a copy cut short
        Assert.IsFalse(pool.Reload());
        Assert.IsInstanceOfType<InvalidDataException>(refused);
        StringAssert.Contains(refused!.Message, _served);
        Assert.AreEqual(before, pool.Current.Id);
        Assert.AreEqual(ServingModels.Offline(ServingModels.First)[0].PredictedDigit, pool.Predict(ServingModels.Test[0]).PredictedDigit);
    }

    [TestMethod]
    public async Task WatchForChanges_SwapsInAReplacedFile_ByItself()
    {
        using var pool = new PredictionEnginePool<Digit, DigitPrediction>(new PredictionEnginePoolOptions
        {
            ModelPath = _served, WatchForChanges = true, ReloadDelay = TimeSpan.FromMilliseconds(50),
        });
        var changed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.ModelChanged += model => changed.TrySetResult(model.Id);
        string before = pool.Current.Id;
        Replace(ServingModels.Second, _served);
        string id = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreNotEqual(before, id, "the replaced file is another model");
        Assert.AreEqual(id, pool.Current.Id);
        Assert.AreEqual(Path.GetFullPath(_served), pool.Current.Path);
    }

    [TestMethod]
    public void MissingOrDamagedModel_AtStart_ThrowsNamingTheFile()
    {
        File.WriteAllText(_served, "not a zip");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new PredictionEnginePool<Digit, DigitPrediction>(new PredictionEnginePoolOptions { ModelPath = _served }));
        StringAssert.Contains(e.Message, _served);
    }

    [TestMethod]
    public void AddPredictionEnginePool_RegistersOneSharedPool()
    {
        using var services = new ServiceCollection().AddPredictionEnginePool<Digit, DigitPrediction>(_served).BuildServiceProvider();
        var pool = services.GetRequiredService<PredictionEnginePool<Digit, DigitPrediction>>();
        Assert.AreSame(pool, services.GetRequiredService<PredictionEnginePool<Digit, DigitPrediction>>());
        Assert.AreEqual(ServingModels.Offline(ServingModels.First)[1].PredictedDigit, pool.Predict(ServingModels.Test[1]).PredictedDigit);
    }
}
