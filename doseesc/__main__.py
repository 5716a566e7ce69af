from ._entry import console

if __name__ == "__main__":  # worker processes (backend="processes") re-import this module
    console()
