"""The audio toolkit shared by the synthetic voice (loa.speech.tts) and the radio's human
recordings and jingles (loa.radio.loudness): ffmpeg filter strings (`filters`) and the loudness
arithmetic (`loudness`), pure functions tested without any binary. Running the programs
themselves is loa.tools."""
