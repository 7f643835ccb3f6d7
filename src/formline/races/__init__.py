"""Horse racing: races of many runners with one winner, measured against the public's odds."""
