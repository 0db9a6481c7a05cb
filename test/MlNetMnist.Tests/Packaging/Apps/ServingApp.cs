// A fresh app's use of the serving package: a pool registered in a service collection, answering from many threads.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Serving;

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadMnist(await MnistFiles.EnsureAsync());
var model = ml.Transforms.ScalePixels("Features", "Pixels")
    .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Epochs = 1 }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
    .Fit(ml.Data.TakeRows(data.Train, 5000));
ml.Model.Save(model, data.Train.Schema, "model.zip");

using var services = new ServiceCollection().AddPredictionEnginePool<Digit, DigitPrediction>("model.zip").BuildServiceProvider();
var pool = services.GetRequiredService<PredictionEnginePool<Digit, DigitPrediction>>();
var digits = ml.Data.CreateEnumerable<Digit>(ml.Data.TakeRows(data.Test, 2000), reuseRowObject: false).ToArray();
var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(model);
var expected = digits.Select(d => engine.Predict(d).PredictedDigit).ToArray();
var answers = new string[digits.Length];
Parallel.For(0, digits.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => answers[i] = pool.Predict(digits[i]).PredictedDigit);
int mismatches = Enumerable.Range(0, digits.Length).Count(i => answers[i] != expected[i]);
Console.WriteLine($"pool answers {digits.Length}, mismatches {mismatches}, model {pool.Current.Id}");
