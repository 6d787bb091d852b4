import ChorusGateway
print("chorus")
