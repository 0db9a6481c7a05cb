using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Chromium;
using OpenQA.Selenium.Interactions;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>
/// The drawing page in a real headless Chromium (Debian's chromium and chromium-driver, installed by build/setup.sh):
/// a vertical stroke drawn with pointer events, by mouse and by finger, must read as a 1.
/// </summary>
[TestClass]
public sealed class BrowserTests
{
    const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";
    static TempDirectory _dir = null!;
    static RunningServer _server = null!;

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        _dir = TestData.TempDirectory();
        File.Copy(ServingModels.First, _dir.File("served.zip"));
        _server = await RunningServer.StartAsync(_dir.File("served.zip"));
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    static ChromeDriver Browser(int width, int height, bool touch = false)
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
            Assert.Fail($"{Chromium} and {Driver} are needed: apt-get install chromium chromium-driver (bash build/setup.sh does).");
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--window-size={width},{height}");
        if (touch)
            options.EnableMobileEmulation(new ChromiumMobileEmulationDeviceSettings
            {
                Width = width, Height = height, PixelRatio = 3, EnableTouchEvents = true,
                UserAgent = "Mozilla/5.0 (Linux; Android 14) Mobile",
            });
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Navigate().GoToUrl(_server.Url);
        return driver;
    }

    /// <summary>A vertical stroke down the middle of the canvas, in small steps as a hand moves, with the given pointer.</summary>
    static void DrawOne(ChromeDriver driver, PointerKind kind)
    {
        var canvas = driver.FindElement(By.Id("pad"));
        int h = canvas.Size.Height;
        var pointer = new PointerInputDevice(kind, "drawing");
        var stroke = new ActionBuilder();
        stroke.AddAction(pointer.CreatePointerMove(canvas, 0, -h * 3 / 8, TimeSpan.Zero));
        stroke.AddAction(pointer.CreatePointerDown(MouseButton.Left));
        for (int step = 1; step <= 15; step++)
            stroke.AddAction(pointer.CreatePointerMove(canvas, 0, -h * 3 / 8 + step * h * 3 / 4 / 15, TimeSpan.FromMilliseconds(20)));
        stroke.AddAction(pointer.CreatePointerUp(MouseButton.Left));
        driver.PerformActions(stroke.ToActionSequenceList());
    }

    static string ShownDigit(ChromeDriver driver, string expected)
    {
        var digit = driver.FindElement(By.Id("digit"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (digit.Text != expected && DateTime.UtcNow < deadline) Thread.Sleep(50);
        return digit.Text;
    }

    [TestMethod]
    public void VerticalStrokeWithTheMouse_ReadsAsOne_WithTheBarsFilled_AndClearEmptiesThePage()
    {
        using var driver = Browser(1280, 800);
        DrawOne(driver, PointerKind.Mouse);
        Assert.AreEqual("1", ShownDigit(driver, "1"));
        var top = driver.FindElement(By.CssSelector(".bar.top span"));
        Assert.AreEqual("1", top.Text, "the 1's bar is the one highlighted");
        Screenshot(driver, "serve-page-desktop.png");

        driver.FindElement(By.Id("clear")).Click();
        Assert.AreEqual("", ShownDigit(driver, ""));
        Assert.IsEmpty(driver.FindElements(By.CssSelector(".bar.top")));
    }

    [TestMethod]
    public void VerticalStrokeWithAFinger_OnAPhoneSizedPage_ReadsAsOne_AndTheCanvasFitsTheScreen()
    {
        using var driver = Browser(390, 844, touch: true);
        var canvas = driver.FindElement(By.Id("pad"));
        long viewport = Convert.ToInt64(driver.ExecuteScript("return window.innerWidth;"));
        Assert.IsLessThanOrEqualTo(viewport, (long)(canvas.Location.X + canvas.Size.Width), "the canvas fits the phone's width");
        DrawOne(driver, PointerKind.Touch);
        Assert.AreEqual("1", ShownDigit(driver, "1"));
        Screenshot(driver, "serve-page-phone.png");
    }

    /// <summary>With MLNET_MNIST_SCREENSHOTS naming a folder, keeps what the page looked like there (for a person to look at).</summary>
    static void Screenshot(ChromeDriver driver, string name)
    {
        if (Environment.GetEnvironmentVariable("MLNET_MNIST_SCREENSHOTS") is { Length: > 0 } folder)
            driver.GetScreenshot().SaveAsFile(Path.Combine(folder, name));
    }
}
