"""The test harness: real processes, fake providers and the helpers the test modules share."""
